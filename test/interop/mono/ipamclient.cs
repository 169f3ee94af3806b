// ipamclient.cs - a WCF (Mono System.ServiceModel) client for ipamd's
// IIpamAsyncProvision / IIpamAsyncSchemaConversion duplex endpoints.
//
// Build:  mcs -out:ipamclient.exe -r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll ipamclient.cs
// Run:    mono ipamclient.exe <mode> <endpointURI> [args] [--expect ID] [--timeout SECONDS] [--op-timeout SECONDS]
//
// Modes (exit 0 = expectations met, 1 = expectation failed, 2 = usage, 3 = watchdog timeout):
//   provision  <uri>     Initialize(IpamProvisioningEnumerationParameters) -> Start -> Start/Checkpoint*/Complete
//   convert    <uri>     same on IIpamAsyncSchemaConversion (EnumerationParametersBase{AsyncSchemaConversion})
//                        --expect ID: the Complete must carry that ExceptionId ("null" = success, the default)
//   outoforder <uri>     (a) Initialize twice on one session: the 2nd must fault with FaultException<IpamException>
//                        (b) Start before Initialize on a new session: Complete must carry an IpamException
//   concurrent <uri> N   N sessions Initialize, then all Start at the same instant; exactly one Complete
//                        with exception=null, the others "already in progress"/"already done" IDs
//   secondstart <uri>    Initialize -> Start -> (Start callback) -> Start again while the work runs: the
//                        second Start is ignored; exactly one Start and one Complete, carrying --expect
//   denied     <uri>     for a caller who is not an administrator: Initialize must fault with
//                        FaultException<IpamException> IpamApiAccessDenied; the one-way Start is refused
//                        through Complete(IpamApiAccessDenied) (no Start callback), and nothing follows it
//   closewhilerunning <uri>  Initialize -> Start -> (Start callback) -> Close() while the work runs: Close
//                        must end cleanly and no Complete may arrive (nothing follows the client's End
//                        but the server's)
//   badvia     <uri>     connect to <uri> (give it a path the server does not serve) and expect the
//                        MC-NMF framing Fault (Mono surfaces it as a FaultException carrying the fault URI)
//   actions    <uri>     print the contract's operations and SOAP actions as Mono derives them (no I/O)
// The contract (provision vs conversion) of outoforder/concurrent/badvia/actions is chosen from the URI:
// a path containing "SchemaConversion" means IIpamAsyncSchemaConversion.
//
// Output: one line per observation, machine-readable, e.g.
//   EVENT NotifyAsyncProvisionStart
//   EVENT NotifyAsyncProvisionCheckpoint n=0
//   EVENT NotifyAsyncProvisionComplete exception=null result=null
//   FAULT op=InitializeAsyncProvisioning type=FaultException<IpamException> code=Sender exceptionId=... reason="..."
//   SUMMARY completes=2 null=1 IpamApiProvisioningAlreadyInProgress=1
//   PASS <mode>      or      FAIL <reason>
// In concurrent mode EVENT lines carry "session=<i>".
//
// Mono quirks handled (FAULTS.md beside this file has the fault side): factory.Open() before CreateChannel;
// channels are ended with Abort() (Mono's Close() blocks ~60 s); a watchdog thread exits the process
// so nothing can hang.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.Threading;

namespace Microsoft.Windows.Ipam
{
	// ------------------------------------------------------------------
	// Data contracts ([MS-IPAMM2] 2.2.4 / 2.2.5; docs/protocol.md#faults-and-ipamexception)
	// Member order = DataContractSerializer default (base first, then
	// ordinal-alphabetical), which is the order of the spec's XSD.
	// ------------------------------------------------------------------

	static class Ns
	{
		public const string Ipam = "http://Microsoft.Windows.Ipam";
		public const string Ipam1 = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam";
	}

	[DataContract(Namespace = Ns.Ipam)]
	public enum EnumerationObjectType
	{
		[EnumMember] None, [EnumMember] ServerInfo, [EnumMember] IPAddress, [EnumMember] IPRange,
		[EnumMember] IPBlock, [EnumMember] LogicalGroupData, [EnumMember] CustomField,
		[EnumMember] CustomFieldAssociation, [EnumMember] LogicalGroup, [EnumMember] LogicalGroupNode,
		[EnumMember] DiscoveredSubnets, [EnumMember] DhcpServer, [EnumMember] DhcpScope,
		[EnumMember] DhcpReservation, [EnumMember] DhcpVendorClass, [EnumMember] DhcpUserClass,
		[EnumMember] DhcpOptionDefinition, [EnumMember] DhcpOption, [EnumMember] DhcpExclusionRange,
		[EnumMember] ConfigurationAudit, [EnumMember] IPAudit, [EnumMember] DnsServerReverseZone,
		[EnumMember] DnsReverseLookupZone, [EnumMember] DnsServerZone, [EnumMember] DnsZone,
		[EnumMember] DnsServer, [EnumMember] DnsZoneEvent, [EnumMember] AsyncProvision,
		[EnumMember] AsyncSchemaConversion, [EnumMember] Operations, [EnumMember] UserRoles,
		[EnumMember] AddressSpace, [EnumMember] AccessScopes, [EnumMember] UserAccessPolicies,
		[EnumMember] IPSubnet, [EnumMember] DhcpPolicy, [EnumMember] DhcpFailover,
		[EnumMember] DhcpSuperscope, [EnumMember] DhcpFilter, [EnumMember] DnsResourceRecord,
		[EnumMember] DnsConditionalForwarder,
	}

	[DataContract(Namespace = Ns.Ipam)]
	public enum ProvisioningMethod { [EnumMember] None, [EnumMember] Automatic, [EnumMember] Manual }

	[DataContract(Namespace = Ns.Ipam)]
	public enum IpamDatabaseType { [EnumMember] DatabaseTypeNotConfigured, [EnumMember] WindowsInternalDatabase, [EnumMember] MSSQLServer }

	[DataContract(Namespace = Ns.Ipam)]
	public enum IpamDatabaseAuthenticationType { [EnumMember] AuthenticationNotConfigured, [EnumMember] WindowsAuthentication, [EnumMember] SQLAuthentication }

	// EnumerationParametersBase (2.2.4.229): the three members are required (no minOccurs="0").
	[DataContract(Namespace = Ns.Ipam)]
	[KnownType(typeof(IpamProvisioningEnumerationParameters))]
	public class EnumerationParametersBase
	{
		[DataMember(IsRequired = true)] public bool FetchAllData;
		[DataMember(IsRequired = true)] public bool IncludeCustomFieldValues;
		[DataMember(IsRequired = true)] public EnumerationObjectType ObjectType;
	}

	// IpamProvisioningEnumerationParameters (2.2.4.287)
	[DataContract(Namespace = Ns.Ipam)]
	public class IpamProvisioningEnumerationParameters : EnumerationParametersBase
	{
		[DataMember] public IpamProvisioningSetting IpamProvisioningSetting;
	}

	// IpamObject (2.2.4.285): the XSD carries ser:Id/ser:Ref, i.e. IsReference=true.
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	[KnownType(typeof(BaseIpamObject))]
	[KnownType(typeof(IpamProvisioningSetting))]
	[KnownType(typeof(IpamDatabaseConfiguration))]
	[KnownType(typeof(IpamCredential))]
	[KnownType(typeof(IpamSchemaVersion))]
	[KnownType(typeof(IpamExceptionData))]
	public class IpamObject
	{
	}

	// BaseIpamObject (2.2.4.64)
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class BaseIpamObject : IpamObject
	{
		[DataMember] public string[] ModifiedProperties;
		[DataMember] public string[] SetProperties;
	}

	// IpamProvisioningSetting (2.2.4.288)
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamProvisioningSetting : IpamObject
	{
		[DataMember] public bool CreateNewSchema;
		[DataMember] public IpamDatabaseConfiguration DatabaseConfiguration;
		[DataMember] public string GpoPrefix;
		[DataMember] public ProvisioningMethod ProvisioningMethod;
	}

	// IpamDatabaseConfiguration (2.2.4.251)
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamDatabaseConfiguration : BaseIpamObject
	{
		[DataMember] public IpamDatabaseAuthenticationType DatabaseAuthenticationType;
		[DataMember] public IpamCredential DatabaseCredential;
		[DataMember] public string DatabaseName;
		[DataMember] public string DatabasePath;
		[DataMember] public uint DatabasePort;
		[DataMember] public string DatabaseServerNameOrIP;
		[DataMember] public IpamDatabaseType DatabaseType;
	}

	// IpamCredential (2.2.4.250)
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamCredential : BaseIpamObject
	{
		[DataMember] public byte[] Password;
		[DataMember] public string UserName;
	}

	// IpamSchemaVersion (2.2.4.289)
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamSchemaVersion : BaseIpamObject
	{
		[DataMember] public int MajorVersion;
		[DataMember] public int MinorVersion;
		[DataMember] public int PatchVersion;
		[DataMember] public int SPVersion;
	}

	// IpamExceptionData (2.2.4.252). ExceptionId is an xsd:string enumeration
	// (IpamExceptionId, 800+ names); a string reads every name.
	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamExceptionData : IpamObject
	{
		[DataMember] public string ExceptionId;
		[DataMember] public string ExceptionMessage;
	}

	// IpamException (2.2.4.247): an ISerializable System.Exception subclass in
	// http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam, declared the
	// way a Windows client assembly would: the serialization constructor chains to
	// Exception(SerializationInfo, StreamingContext), so the System.Exception
	// entries (ClassName, Message, InnerException, HelpURL, StackTraceString,
	// RemoteStackTraceString, RemoteStackIndex, HResult, Source; .NET Framework
	// also ExceptionMethod) MUST be on the wire - see FAULTS.md.
	[Serializable]
	[KnownType(typeof(IpamExceptionData))]
	public class IpamException : Exception
	{
		public IpamExceptionData IpamExceptionData { get; private set; }
		public IpamException InnerIpamException { get; private set; }

		public IpamException (string message, IpamExceptionData data) : base (message)
		{
			IpamExceptionData = data;
		}

		protected IpamException (SerializationInfo info, StreamingContext context) : base (info, context)
		{
			IpamExceptionData = (IpamExceptionData) info.GetValue ("IpamExceptionData", typeof (IpamExceptionData));
			InnerIpamException = (IpamException) info.GetValue ("InnerIpamException", typeof (IpamException));
		}

		public override void GetObjectData (SerializationInfo info, StreamingContext context)
		{
			base.GetObjectData (info, context);
			info.AddValue ("IpamExceptionData", IpamExceptionData, typeof (IpamExceptionData));
			info.AddValue ("InnerIpamException", InnerIpamException, typeof (IpamException));
		}

		public string Id {
			get { return IpamExceptionData == null || IpamExceptionData.ExceptionId == null ? "(no-ExceptionId)" : IpamExceptionData.ExceptionId; }
		}
	}

	// ------------------------------------------------------------------
	// Service and callback contracts ([MS-IPAMM2] 3.11, 3.13, 3.15, 3.17)
	// ------------------------------------------------------------------

	[ServiceContract (Namespace = Ns.Ipam, SessionMode = SessionMode.Required, CallbackContract = typeof (IIpamAsyncProvisionCallback))]
	public interface IIpamAsyncProvision
	{
		[OperationContract (IsInitiating = true)]
		[FaultContract (typeof (IpamException))]
		void InitializeAsyncProvisioning (EnumerationParametersBase parameters);

		[OperationContract (IsOneWay = true, IsInitiating = true)]
		void StartAsyncProvisioning ();
	}

	public interface IIpamAsyncProvisionCallback
	{
		[OperationContract (IsOneWay = true)]
		void NotifyAsyncProvisionStart ();

		[OperationContract (IsOneWay = true)]
		void NotifyAsyncProvisionCheckpoint (IpamObject[] data);

		[OperationContract (IsOneWay = true)]
		void NotifyAsyncProvisionComplete (IpamObject result, IpamException exception);
	}

	[ServiceContract (Namespace = Ns.Ipam, SessionMode = SessionMode.Required, CallbackContract = typeof (IIpamAsyncSchemaCallback))]
	public interface IIpamAsyncSchemaConversion
	{
		[OperationContract (IsInitiating = true)]
		[FaultContract (typeof (IpamException))]
		void InitializeAsyncSchemaConversion (EnumerationParametersBase parameters);

		[OperationContract (IsOneWay = true, IsInitiating = true)]
		void StartAsyncSchemaConversion ();
	}

	public interface IIpamAsyncSchemaCallback
	{
		[OperationContract (IsOneWay = true)]
		void NotifyAsyncSchemaConversionStart ();

		[OperationContract (IsOneWay = true)]
		void NotifyAsyncSchemaConversionCheckpoint (IpamObject[] data);

		[OperationContract (IsOneWay = true)]
		void NotifyAsyncSchemaConversionComplete (IpamObject result, IpamException exception);
	}

	// ------------------------------------------------------------------
	// Callback sink: records every event of one session.
	// ------------------------------------------------------------------

	public class Ev
	{
		public string Kind;          // Start | Checkpoint | Complete
		public int Count = -1;       // checkpoint items (-1 = nil)
		public string ExceptionId;   // Complete: null = success
		public string Detail = "";
	}

	[CallbackBehavior (ConcurrencyMode = ConcurrencyMode.Multiple, UseSynchronizationContext = false)]
	public class Sink : IIpamAsyncProvisionCallback, IIpamAsyncSchemaCallback
	{
		readonly object gate = new object ();
		readonly List<Ev> events = new List<Ev> ();
		readonly ManualResetEvent completed = new ManualResetEvent (false);
		readonly string prefix, tag;

		public Sink (string prefix, string tag) { this.prefix = prefix; this.tag = tag; }

		public WaitHandle Completed { get { return completed; } }
		public List<Ev> Events { get { lock (gate) return new List<Ev> (events); } }

		void Add (Ev e, string line)
		{
			lock (gate) {
				events.Add (e);
				Program.Out ("EVENT " + prefix + line + tag);
				if (e.Kind == "Complete")
					completed.Set ();
			}
		}

		static string Show (string s) { return s == null ? "null" : s.Replace ('\n', ' ').Replace ('\r', ' '); }

		void Start () { Add (new Ev { Kind = "Start" }, "Start"); }

		void Checkpoint (IpamObject[] data)
		{
			int n = data == null ? -1 : data.Length;
			Add (new Ev { Kind = "Checkpoint", Count = n }, "Checkpoint n=" + (n < 0 ? "nil" : n.ToString ()));
		}

		void Complete (IpamObject result, IpamException exception)
		{
			var e = new Ev { Kind = "Complete" };
			string line = "Complete exception=";
			if (exception == null) {
				line += "null";
			} else {
				e.ExceptionId = exception.Id;
				line += e.ExceptionId + " message=\"" + Show (exception.Message) + "\"";
				if (exception.IpamExceptionData != null)
					line += " exceptionMessage=\"" + Show (exception.IpamExceptionData.ExceptionMessage) + "\"";
				if (exception.InnerIpamException != null)
					line += " inner=" + exception.InnerIpamException.Id;
			}
			line += " result=" + (result == null ? "null" : result.GetType ().Name);
			Add (e, line);
		}

		public void NotifyAsyncProvisionStart () { Start (); }
		public void NotifyAsyncProvisionCheckpoint (IpamObject[] data) { Checkpoint (data); }
		public void NotifyAsyncProvisionComplete (IpamObject result, IpamException exception) { Complete (result, exception); }
		public void NotifyAsyncSchemaConversionStart () { Start (); }
		public void NotifyAsyncSchemaConversionCheckpoint (IpamObject[] data) { Checkpoint (data); }
		public void NotifyAsyncSchemaConversionComplete (IpamObject result, IpamException exception) { Complete (result, exception); }
	}

	// ------------------------------------------------------------------
	// One duplex session over either port type.
	// ------------------------------------------------------------------

	public class Session
	{
		public readonly bool Conversion;
		public readonly Sink Sink;
		public readonly string Prefix; // "NotifyAsyncProvision" | "NotifyAsyncSchemaConversion"
		ChannelFactory factory;
		IIpamAsyncProvision prov;
		IIpamAsyncSchemaConversion conv;

		public Session (bool conversion, string uri, string tag, Binding binding)
		{
			Conversion = conversion;
			Prefix = conversion ? "NotifyAsyncSchemaConversion" : "NotifyAsyncProvision";
			Sink = new Sink (Prefix, tag);
			var addr = new EndpointAddress (uri);
			if (conversion) {
				var f = new DuplexChannelFactory<IIpamAsyncSchemaConversion> (new InstanceContext (Sink), binding, addr);
				f.Open (); // before CreateChannel (Mono: concurrent CreateChannel on an unopened factory throws)
				factory = f;
				conv = f.CreateChannel (); // Mono connects here (eagerly)
			} else {
				var f = new DuplexChannelFactory<IIpamAsyncProvision> (new InstanceContext (Sink), binding, addr);
				f.Open ();
				factory = f;
				prov = f.CreateChannel ();
			}
		}

		public string InitOp { get { return Conversion ? "InitializeAsyncSchemaConversion" : "InitializeAsyncProvisioning"; } }

		public void Initialize ()
		{
			if (Conversion) {
				conv.InitializeAsyncSchemaConversion (new EnumerationParametersBase {
					FetchAllData = false, IncludeCustomFieldValues = false,
					ObjectType = EnumerationObjectType.AsyncSchemaConversion,
				});
			} else {
				prov.InitializeAsyncProvisioning (new IpamProvisioningEnumerationParameters {
					FetchAllData = false, IncludeCustomFieldValues = false,
					ObjectType = EnumerationObjectType.AsyncProvision,
					IpamProvisioningSetting = new IpamProvisioningSetting {
						CreateNewSchema = true, DatabaseConfiguration = null,
						GpoPrefix = "IPAM", ProvisioningMethod = ProvisioningMethod.Automatic,
					},
				});
			}
		}

		public void Start ()
		{
			if (Conversion)
				conv.StartAsyncSchemaConversion ();
			else
				prov.StartAsyncProvisioning ();
		}

		public ICommunicationObject Channel { get { return (ICommunicationObject) (Conversion ? (object) conv : prov); } }

		// WaitStart waits for the Notify…Start callback.
		public bool WaitStart (int seconds)
		{
			var deadline = DateTime.UtcNow.AddSeconds (seconds);
			while (DateTime.UtcNow < deadline) {
				if (Sink.Events.Any (e => e.Kind == "Start"))
					return true;
				Thread.Sleep (10);
			}
			return false;
		}

		public void Abort ()
		{
			try {
				var co = (ICommunicationObject) (Conversion ? (object) conv : prov);
				if (co != null)
					co.Abort (); // sends the End record (07) and closes the socket at once
			} catch (Exception) {
			}
			try { factory.Abort (); } catch (Exception) { }
		}
	}

	// ------------------------------------------------------------------
	// Program
	// ------------------------------------------------------------------

	public static class Program
	{
		static readonly object outLock = new object ();
		static int timeoutSec = 60, opTimeoutSec = 15;
		static string expect = "null";

		public static void Out (string line)
		{
			lock (outLock) {
				Console.Out.WriteLine (line);
				Console.Out.Flush ();
			}
		}

		static int Fail (string why)
		{
			Out ("FAIL " + why.Replace ('\n', ' ').Replace ('\r', ' '));
			return 1;
		}

		static void Exit (int code)
		{
			Console.Out.Flush ();
			Environment.Exit (code);
		}

		static Binding MakeBinding ()
		{
			var b = new NetTcpBinding (SecurityMode.None);
			var t = TimeSpan.FromSeconds (opTimeoutSec);
			b.OpenTimeout = t;
			b.SendTimeout = t;      // also Mono's operation (request-reply) timeout
			b.ReceiveTimeout = TimeSpan.FromSeconds (timeoutSec + 60);
			b.CloseTimeout = TimeSpan.FromSeconds (2);
			return b;
		}

		static bool IsConversionUri (string uri)
		{
			return uri.IndexOf ("SchemaConversion", StringComparison.OrdinalIgnoreCase) >= 0;
		}

		static int Usage ()
		{
			Console.Error.WriteLine ("usage: ipamclient.exe provision|convert|outoforder|secondstart|denied|closewhilerunning|badvia|actions <net.tcp URI> [--expect ID] [--timeout S] [--op-timeout S]");
			Console.Error.WriteLine ("       ipamclient.exe concurrent <net.tcp URI> N [--timeout S] [--op-timeout S]");
			return 2;
		}

		public static int Main (string[] argv)
		{
			var pos = new List<string> ();
			for (int i = 0; i < argv.Length; i++) {
				string a = argv [i];
				if ((a == "--expect" || a == "--timeout" || a == "--op-timeout") && i + 1 < argv.Length) {
					string v = argv [++i];
					if (a == "--expect") expect = v;
					else if (a == "--timeout") timeoutSec = int.Parse (v);
					else opTimeoutSec = int.Parse (v);
				} else if (a.StartsWith ("--")) {
					return Usage ();
				} else {
					pos.Add (a);
				}
			}
			if (pos.Count < 2)
				return Usage ();
			string mode = pos [0], uri = pos [1];

			// Watchdog: nothing may hang. Exits the whole process (Mono threads included).
			var wd = new Thread (() => {
				Thread.Sleep (TimeSpan.FromSeconds (timeoutSec));
				Out ("FAIL watchdog: mode " + mode + " did not finish within " + timeoutSec + "s");
				Exit (3);
			});
			wd.IsBackground = true;
			wd.Start ();

			int rc;
			try {
				switch (mode) {
				case "provision": rc = RunFlow (false, uri); break;
				case "convert": rc = RunFlow (true, uri); break;
				case "outoforder": rc = RunOutOfOrder (IsConversionUri (uri), uri); break;
				case "concurrent":
					if (pos.Count < 3) return Usage ();
					rc = RunConcurrent (IsConversionUri (uri), uri, int.Parse (pos [2]));
					break;
				case "secondstart": rc = RunSecondStart (IsConversionUri (uri), uri); break;
				case "denied": rc = RunDenied (IsConversionUri (uri), uri); break;
				case "closewhilerunning": rc = RunCloseWhileRunning (IsConversionUri (uri), uri); break;
				case "badvia": rc = RunBadVia (IsConversionUri (uri), uri); break;
				case "actions": rc = RunActions (uri); break;
				default: return Usage ();
				}
			} catch (Exception ex) {
				rc = Fail ("unexpected " + Describe (ex));
			}
			if (rc == 0)
				Out ("PASS " + mode);
			Exit (rc);
			return rc;
		}

		// Describe an exception in one line: type, fault code/reason, IpamException detail.
		static string Describe (Exception ex)
		{
			var fe = ex as FaultException<IpamException>;
			if (fe != null) {
				var d = fe.Detail;
				return "type=FaultException<IpamException> code=" + CodeName (fe.Code) +
					" action=" + (fe.Action ?? "null") +
					" exceptionId=" + (d == null ? "null" : d.Id) +
					" message=\"" + (d == null ? "" : OneLine (d.Message)) + "\"" +
					" reason=\"" + OneLine (ReasonText (fe)) + "\"";
			}
			var f = ex as FaultException;
			if (f != null)
				return "type=" + TypeName (f.GetType ()) + " code=" + CodeName (f.Code) +
					" reason=\"" + OneLine (ReasonText (f)) + "\"";
			return "type=" + ex.GetType ().FullName + " message=\"" + OneLine (ex.Message) + "\"" +
				(ex.InnerException != null ? " inner=" + ex.InnerException.GetType ().Name + ":\"" + OneLine (ex.InnerException.Message) + "\"" : "");
		}

		static string ReasonText (FaultException f)
		{
			try { return f.Reason.ToString (); } catch (Exception) { return f.Message; }
		}

		static string CodeName (FaultCode c)
		{
			if (c == null) return "null";
			string s = c.Name;
			if (c.SubCode != null) s += "/" + c.SubCode.Name;
			return s;
		}

		static string TypeName (Type t)
		{
			if (!t.IsGenericType) return t.Name;
			return t.Name.Substring (0, t.Name.IndexOf ('`')) + "<" + string.Join (",", t.GetGenericArguments ().Select (TypeName)) + ">";
		}

		static string OneLine (string s) { return (s ?? "").Replace ('\n', ' ').Replace ('\r', ' ').Replace ('"', '\''); }

		// Check the event sequence: exactly one Start first, Checkpoints, exactly one Complete last.
		static string CheckSequence (List<Ev> ev, bool requireStart)
		{
			if (ev.Count == 0) return "no callbacks";
			int starts = ev.Count (e => e.Kind == "Start"), completes = ev.Count (e => e.Kind == "Complete");
			if (completes != 1) return "expected exactly 1 Complete, got " + completes;
			if (ev [ev.Count - 1].Kind != "Complete") return "Complete is not the last callback";
			if (requireStart) {
				if (starts != 1) return "expected exactly 1 Start, got " + starts;
				if (ev [0].Kind != "Start") return "first callback is " + ev [0].Kind + ", not Start";
			} else if (starts > 1 || (starts == 1 && ev [0].Kind != "Start")) {
				return "Start notification out of place";
			}
			return null;
		}

		// Wait for Complete, then a short grace period to catch anything sent after it.
		static bool WaitComplete (Session s, int seconds)
		{
			bool ok = s.Sink.Completed.WaitOne (TimeSpan.FromSeconds (seconds));
			Thread.Sleep (300);
			return ok;
		}

		static int RunFlow (bool conversion, string uri)
		{
			var s = new Session (conversion, uri, "", MakeBinding ());
			try {
				try {
					s.Initialize ();
				} catch (Exception ex) {
					Out ("FAULT op=" + s.InitOp + " " + Describe (ex));
					return Fail (s.InitOp + " failed");
				}
				Out ("REPLY op=" + s.InitOp);
				s.Start ();
				if (!WaitComplete (s, Math.Max (1, timeoutSec - opTimeoutSec - 2)))
					return Fail ("no " + s.Prefix + "Complete received");
				var ev = s.Sink.Events;
				string bad = CheckSequence (ev, true);
				if (bad != null) return Fail (bad);
				string got = ev [ev.Count - 1].ExceptionId ?? "null";
				if (got != expect)
					return Fail (s.Prefix + "Complete exception=" + got + ", expected " + expect);
				return 0;
			} finally {
				s.Abort ();
			}
		}

		static int RunOutOfOrder (bool conversion, string uri)
		{
			var binding = MakeBinding ();
			int rc = 0;

			// (a) Initialize twice on one session: the second must be refused with a SOAP fault.
			var a = new Session (conversion, uri, " case=double-initialize", binding);
			try {
				try {
					a.Initialize ();
					Out ("REPLY op=" + a.InitOp + " case=double-initialize n=1");
				} catch (Exception ex) {
					Out ("FAULT op=" + a.InitOp + " case=double-initialize n=1 " + Describe (ex));
					rc = Fail ("first " + a.InitOp + " faulted");
				}
				if (rc == 0) {
					try {
						a.Initialize ();
						Out ("REPLY op=" + a.InitOp + " case=double-initialize n=2");
						rc = Fail ("second " + a.InitOp + " on one session was accepted");
					} catch (FaultException<IpamException> ex) {
						Out ("FAULT op=" + a.InitOp + " case=double-initialize n=2 " + Describe (ex));
						if (ex.Detail == null || ex.Detail.IpamExceptionData == null || string.IsNullOrEmpty (ex.Detail.IpamExceptionData.ExceptionId))
							rc = Fail ("second " + a.InitOp + ": IpamException detail without ExceptionId");
					} catch (Exception ex) {
						Out ("FAULT op=" + a.InitOp + " case=double-initialize n=2 " + Describe (ex));
						rc = Fail ("second " + a.InitOp + ": expected FaultException<IpamException>, got " + TypeName (ex.GetType ()));
					}
				}
			} finally {
				a.Abort ();
			}

			// (b) Start before Initialize: Start is one-way, so the refusal comes as Complete with an IpamException.
			var b = new Session (conversion, uri, " case=start-first", binding);
			try {
				b.Start ();
				Out ("SENT op=Start case=start-first");
				if (!WaitComplete (b, Math.Max (1, timeoutSec / 2 - 2))) {
					rc = Fail ("start-first: no " + b.Prefix + "Complete received");
				} else {
					var ev = b.Sink.Events;
					string bad = CheckSequence (ev, false);
					if (bad != null)
						rc = Fail ("start-first: " + bad);
					else if (ev [ev.Count - 1].ExceptionId == null)
						rc = Fail ("start-first: Complete carried exception=null; the server must refuse Start before Initialize");
				}
			} finally {
				b.Abort ();
			}
			return rc;
		}

		static int RunConcurrent (bool conversion, string uri, int n)
		{
			if (n < 2) return Fail ("concurrent needs N >= 2");
			var binding = MakeBinding ();
			var sessions = new List<Session> ();
			try {
				for (int i = 0; i < n; i++) {
					var s = new Session (conversion, uri, " session=" + i, binding);
					sessions.Add (s);
					try {
						s.Initialize ();
						Out ("REPLY op=" + s.InitOp + " session=" + i);
					} catch (Exception ex) {
						Out ("FAULT op=" + s.InitOp + " session=" + i + " " + Describe (ex));
						return Fail ("session " + i + ": " + s.InitOp + " failed");
					}
				}
				// Release every Start at the same instant.
				var gate = new ManualResetEvent (false);
				var ready = new CountdownEvent (n);
				var errors = new List<string> ();
				var threads = new List<Thread> ();
				for (int i = 0; i < n; i++) {
					var s = sessions [i];
					int idx = i;
					var t = new Thread (() => {
						ready.Signal ();
						gate.WaitOne ();
						try {
							s.Start ();
						} catch (Exception ex) {
							lock (errors) errors.Add ("session " + idx + ": Start threw " + Describe (ex));
						}
					});
					t.IsBackground = true;
					t.Start ();
					threads.Add (t);
				}
				ready.Wait ();
				gate.Set ();
				foreach (var t in threads) t.Join (TimeSpan.FromSeconds (opTimeoutSec));
				if (errors.Count > 0) return Fail (string.Join ("; ", errors));
				Out ("SENT op=Start sessions=" + n);

				var deadline = DateTime.UtcNow.AddSeconds (Math.Max (1, timeoutSec - 5));
				foreach (var s in sessions) {
					var left = deadline - DateTime.UtcNow;
					if (left < TimeSpan.Zero) left = TimeSpan.Zero;
					s.Sink.Completed.WaitOne (left);
				}
				Thread.Sleep (300);

				var counts = new SortedDictionary<string, int> (StringComparer.Ordinal);
				int completes = 0;
				string bad = null;
				for (int i = 0; i < n; i++) {
					var ev = sessions [i].Sink.Events;
					string why = CheckSequence (ev, false);
					if (why != null) { bad = bad ?? ("session " + i + ": " + why); continue; }
					completes++;
					string id = ev [ev.Count - 1].ExceptionId ?? "null";
					int c;
					counts.TryGetValue (id, out c);
					counts [id] = c + 1;
				}
				Out ("SUMMARY completes=" + completes + " " + string.Join (" ", counts.Select (kv => kv.Key + "=" + kv.Value)));
				if (bad != null) return Fail (bad);
				int nulls;
				counts.TryGetValue ("null", out nulls);
				if (nulls != 1) return Fail ("expected exactly 1 Complete with exception=null, got " + nulls);
				var allowed = conversion
					? new[] { "IpamSchemaConversionAnotherOperationInProgress", "IpamSchemaConversionNotRequired" }
					: new[] { "IpamApiProvisioningAlreadyInProgress", "IpamApiErrorIpamAlreadyProvisioned" };
				foreach (var kv in counts)
					if (kv.Key != "null" && Array.IndexOf (allowed, kv.Key) < 0)
						return Fail ("unexpected ExceptionId " + kv.Key + " (allowed: " + string.Join (", ", allowed) + ")");
				return 0;
			} finally {
				foreach (var s in sessions) s.Abort ();
			}
		}

		// A second Start while the work runs must neither be answered nor end the session: the work's own
		// Complete is the one the client gets.
		static int RunSecondStart (bool conversion, string uri)
		{
			var s = new Session (conversion, uri, "", MakeBinding ());
			try {
				s.Initialize ();
				Out ("REPLY op=" + s.InitOp);
				s.Start ();
				if (!s.WaitStart (opTimeoutSec))
					return Fail ("no " + s.Prefix + "Start received");
				s.Start ();
				Out ("SENT op=Start n=2");
				if (!WaitComplete (s, Math.Max (1, timeoutSec - opTimeoutSec - 2)))
					return Fail ("no " + s.Prefix + "Complete received");
				Thread.Sleep (700); // a second Complete, if any, would arrive now
				var ev = s.Sink.Events;
				string bad = CheckSequence (ev, true);
				if (bad != null) return Fail (bad);
				string got = ev [ev.Count - 1].ExceptionId ?? "null";
				if (got != expect)
					return Fail (s.Prefix + "Complete exception=" + got + ", expected " + expect);
				return 0;
			} finally {
				s.Abort ();
			}
		}

		// A caller who is not an administrator: the two-way Initialize gets a correlated fault, the one-way
		// Start gets Complete(IpamApiAccessDenied) - the answer a duplex client waits for - and nothing else.
		static int RunDenied (bool conversion, string uri)
		{
			const string denied = "IpamApiAccessDenied";
			var s = new Session (conversion, uri, "", MakeBinding ());
			try {
				try {
					s.Initialize ();
					return Fail (s.InitOp + " was accepted for a caller who is not an administrator");
				} catch (FaultException<IpamException> ex) {
					Out ("FAULT op=" + s.InitOp + " " + Describe (ex));
					if (ex.Detail == null || ex.Detail.Id != denied)
						return Fail (s.InitOp + ": fault carries " + (ex.Detail == null ? "no IpamException" : ex.Detail.Id) + ", expected " + denied);
				} catch (Exception ex) {
					Out ("FAULT op=" + s.InitOp + " " + Describe (ex));
					return Fail (s.InitOp + ": expected FaultException<IpamException>, got " + TypeName (ex.GetType ()));
				}
				s.Start ();
				Out ("SENT op=Start");
				if (!WaitComplete (s, Math.Max (1, timeoutSec / 2 - 2)))
					return Fail ("no " + s.Prefix + "Complete received for the refused Start");
				Thread.Sleep (700);
				var ev = s.Sink.Events;
				if (ev.Count != 1 || ev [0].Kind != "Complete")
					return Fail ("expected exactly one callback, Complete; got " + string.Join (",", ev.Select (e => e.Kind)));
				if (ev [0].ExceptionId != denied)
					return Fail ("Complete exception=" + (ev [0].ExceptionId ?? "null") + ", expected " + denied);
				return 0;
			} finally {
				s.Abort ();
			}
		}

		// Close() while the work runs: WCF sends End and waits for the server's End. Nothing else may come
		// after the client's End - in particular not the cancelled work's Complete.
		static int RunCloseWhileRunning (bool conversion, string uri)
		{
			var s = new Session (conversion, uri, "", MakeBinding ());
			try {
				s.Initialize ();
				Out ("REPLY op=" + s.InitOp);
				s.Start ();
				if (!s.WaitStart (opTimeoutSec))
					return Fail ("no " + s.Prefix + "Start received");
				var before = s.Sink.Events.Count;
				var t0 = DateTime.UtcNow;
				// Close() sends End at once; Mono's then waits out its close timeout even when the server
				// answers End with End (mono-peer quirk), so it runs on its own thread, bounded.
				string closeFault = null;
				var closer = new Thread (() => {
					try {
						s.Channel.Close (TimeSpan.FromSeconds (3));
					} catch (Exception ex) {
						closeFault = Describe (ex);
					}
				});
				closer.IsBackground = true;
				closer.Start ();
				bool returned = closer.Join (TimeSpan.FromSeconds (5));
				Out ("CLOSE returned=" + returned + " ms=" + (int) (DateTime.UtcNow - t0).TotalMilliseconds +
					(closeFault != null ? " fault=" + closeFault : ""));
				if (closeFault != null && closeFault.Contains ("ProtocolException"))
					return Fail ("Close() met a message where it expected End: " + closeFault);
				Thread.Sleep (700);
				var ev = s.Sink.Events;
				var late = ev.Skip (before).Where (e => e.Kind == "Complete").ToList ();
				if (late.Count > 0)
					return Fail ("a Complete arrived after the client's End (exception=" + (late [0].ExceptionId ?? "null") + ")");
				return 0;
			} finally {
				s.Abort ();
			}
		}

		static int RunBadVia (bool conversion, string uri)
		{
			Session s = null;
			try {
				s = new Session (conversion, uri, "", MakeBinding ());
				s.Initialize ();
				return Fail ("the server accepted a session for " + uri);
			} catch (FaultException ex) {
				Out ("FRAMINGFAULT " + Describe (ex) + " text=\"" + OneLine (ex.Message) + "\"");
				if (ex.Message.IndexOf ("http://schemas.microsoft.com/ws/2006/05/framing/faults/", StringComparison.Ordinal) < 0)
					return Fail ("FaultException does not carry an MC-NMF framing fault URI");
				return 0;
			} catch (Exception ex) {
				return Fail ("expected a framing FaultException, got " + Describe (ex));
			} finally {
				if (s != null) s.Abort ();
			}
		}

		static int RunActions (string uri)
		{
			var binding = MakeBinding ();
			var addr = new EndpointAddress (uri);
			var eps = new[] {
				new DuplexChannelFactory<IIpamAsyncProvision> (new InstanceContext (new Sink ("", "")), binding, addr).Endpoint,
				new DuplexChannelFactory<IIpamAsyncSchemaConversion> (new InstanceContext (new Sink ("", "")), binding, addr).Endpoint,
			};
			foreach (var ep in eps) {
				foreach (var od in ep.Contract.Operations) {
					foreach (var md in od.Messages)
						Out ("ACTION contract=" + ep.Contract.Name + " op=" + od.Name + " dir=" + md.Direction + " action=" + md.Action);
					foreach (var fd in od.Faults)
						Out ("FAULTACTION contract=" + ep.Contract.Name + " op=" + od.Name + " action=" + fd.Action + " detail=" + fd.DetailType);
				}
			}
			return 0;
		}
	}
}
