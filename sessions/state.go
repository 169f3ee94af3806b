package sessions

// State is a session's position in the port type's state machine. Both async
// port types share the same shape; Binding.StateNames gives the spec's names.
type State uint8

const (
	// SessionInitialized: the lower layer indicated a new session.
	SessionInitialized State = iota
	// Initialized: Initialize… succeeded (Provisioning/Conversion Initialized).
	Initialized
	// Started: Start… received, Notify…Start sent, work triggered.
	Started
	// InProgress: at least one Notify…Checkpoint sent.
	InProgress
	// Completed: Notify…Complete sent; the server closes the session.
	Completed
	numStates
)

// event is what moves the state machine: a client operation or a callback
// the server sent.
type event uint8

const (
	evInitialize event = iota
	evStart
	evCheckpointSent
	evCompleteSent
)

// transitions is the state machine of 3.11.1.1 / 3.15.1.1 as a table: the
// next state for (state, event), or ok=false when the event is illegal there.
var transitions = [numStates][4]struct {
	next State
	ok   bool
}{
	SessionInitialized: {
		evInitialize:   {Initialized, true},
		evCompleteSent: {Completed, true}, // Complete with an exception for an illegal Start
	},
	Initialized: {
		evStart:        {Started, true},
		evCompleteSent: {Completed, true},
	},
	Started: {
		evCheckpointSent: {InProgress, true},
		evCompleteSent:   {Completed, true},
	},
	InProgress: {
		evCheckpointSent: {InProgress, true},
		evCompleteSent:   {Completed, true},
	},
	Completed: {},
}

// next returns the state after ev, and whether ev is legal in s.
func (s State) next(ev event) (State, bool) {
	if s >= numStates || int(ev) >= len(transitions[s]) {
		return s, false
	}
	t := transitions[s][ev]
	return t.next, t.ok
}

func legal(s State, ev event) bool {
	_, ok := s.next(ev)
	return ok
}

// stateLabels are the states as metric label values: the same for both
// port types (Binding.StateNames has the spec's per-port names).
var stateLabels = [numStates]string{"session_initialized", "initialized", "started", "in_progress", "completed"}

// States lists every state, in order.
func States() []State {
	return []State{SessionInitialized, Initialized, Started, InProgress, Completed}
}

// String is the state's label: session_initialized, initialized, started,
// in_progress or completed.
func (s State) String() string {
	if s >= numStates {
		return "unknown"
	}
	return stateLabels[s]
}
