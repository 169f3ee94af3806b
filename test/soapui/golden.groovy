/*
 * golden.groovy: the checks ipamd-soapui-project.xml runs on what ipamd answers and POSTs back.
 *
 * The rules are those of Compare in soapui.go, which the Go interop tests (test/interop/http) apply to the
 * same message files, so SoapUI and `go test` judge a message alike:
 *   - elements match by namespace URI and local name, children in order;
 *   - attributes match as a set by namespace URI and local name, namespace declarations aside;
 *     xsi:type values compare as resolved QNames;
 *   - a leaf element's text is compared trimmed; whitespace between child elements is ignored,
 *     other text beside child elements is a difference;
 *   - "*" as an expected value matches any non-empty value (a:RelatesTo, the session id).
 * The caller expands ${#Project#...} in an expected file first (context.expand).
 *
 * Use from a SoapUI script (a Groovy script's evaluate returns the helper object):
 *   def golden = evaluate(new File(context.expand('${projectDir}'), 'golden.groovy'))
 *   def problems = golden.compare(expectedXml, actualXml)   // [] when they match
 */
import javax.xml.parsers.DocumentBuilderFactory
import org.w3c.dom.Element
import org.w3c.dom.NamedNodeMap
import org.w3c.dom.Node
import org.w3c.dom.NodeList
import org.xml.sax.InputSource

class IpamdGolden {
    static final String WILDCARD = '*'
    static final String XSI = 'http://www.w3.org/2001/XMLSchema-instance'
    static final String XMLNS = 'http://www.w3.org/2000/xmlns/'
    static final String WSA = 'http://www.w3.org/2005/08/addressing'
    static final String SESSION = 'urn:ipamd:2026:session'
    static final int MAX_DIFFS = 20

    /** Parses a message namespace-aware (no DTDs) and returns its root element. */
    static Element parse(String xml) {
        def factory = DocumentBuilderFactory.newInstance()
        factory.setNamespaceAware(true)
        factory.setFeature('http://apache.org/xml/features/disallow-doctype-decl', true)
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml))).getDocumentElement()
    }

    /** The differences between actual and the expanded expected message; empty when they match. */
    List<String> compare(String expected, String actual) {
        List<String> diffs = []
        Element exp
        Element act
        try {
            exp = parse(expected)
        } catch (Exception e) {
            return ['expected message: ' + e.getMessage()]
        }
        try {
            act = parse(actual)
        } catch (Exception e) {
            return ['actual message: ' + e.getMessage()]
        }
        compareElement('', exp, act, diffs)
        return diffs
    }

    /** Problems with the a:RelatesTo of response: it must be the a:MessageID of request. */
    List<String> checkRelatesTo(String request, String response) {
        String id = header(parse(request), WSA, 'MessageID')
        String rel = header(parse(response), WSA, 'RelatesTo')
        if (id == null) {
            return ['the request has no a:MessageID']
        }
        return rel == id ? [] : ['a:RelatesTo is "' + rel + '", want the request\'s a:MessageID "' + id + '"']
    }

    /**
     * Waits until a Notify...Complete is among received (the list the IpamCallbacks MockService appends every
     * request body to) or timeoutMillis pass; returns a snapshot of the list.
     */
    List<String> awaitComplete(List<String> received, long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis
        while (true) {
            List<String> snapshot
            synchronized (received) {
                snapshot = new ArrayList<String>(received)
            }
            if (snapshot.any { kind(it) == 'Complete' } || System.currentTimeMillis() > deadline) {
                return snapshot
            }
            Thread.sleep(100)
        }
    }

    /**
     * Problems with one session's callbacks: Notify...Start, one or more Notify...Checkpoint, Notify...Complete,
     * in that order, each matching its expected message, all with the same session id.
     */
    List<String> checkCallbacks(List<String> received, String expStart, String expCheckpoint, String expComplete) {
        List<String> problems = []
        List<String> kinds = received.collect { kind(it) }
        if (kinds.size() < 3 || kinds[0] != 'Start' || kinds[-1] != 'Complete' ||
                kinds[1..-2].any { it != 'Checkpoint' }) {
            problems << ('callbacks ' + kinds + ', want [Start, Checkpoint (one or more), Complete]')
        }
        Set<String> sessions = new LinkedHashSet<String>()
        received.eachWithIndex { String msg, int i ->
            String want = [Start: expStart, Checkpoint: expCheckpoint, Complete: expComplete][kinds[i]]
            if (want == null) {
                problems << ('callback ' + i + ' is not a Notify... message: ' + kinds[i])
                return
            }
            compare(want, msg).each { problems << ('callback ' + i + ' (' + kinds[i] + '): ' + it) }
            sessions << header(parse(msg), SESSION, 'SessionId')
        }
        if (sessions.size() > 1) {
            problems << ('callbacks carry ' + sessions.size() + ' session ids, want one: ' + sessions)
        }
        return problems
    }

    /** "Start", "Checkpoint" or "Complete" for a Notify... callback (by its body element), else the element's name. */
    static String kind(String msg) {
        Element body = firstChild(parse(msg), 'Body')
        Element op = body == null ? null : firstElement(body)
        if (op == null) {
            return '(no body element)'
        }
        String name = local(op)
        for (String k : ['Start', 'Checkpoint', 'Complete']) {
            if (name.startsWith('Notify') && name.endsWith(k)) {
                return k
            }
        }
        return name
    }

    /** The session id (ss:SessionId) a reply carries, or null: the session's later requests carry it back. */
    static String sessionId(String xml) {
        return header(parse(xml), SESSION, 'SessionId')
    }

    /** The trimmed text of the SOAP header block {ns}name, or null. */
    static String header(Element env, String ns, String name) {
        Element h = firstChild(env, 'Header')
        if (h == null) {
            return null
        }
        for (Element b : elements(h)) {
            if (nsOf(b) == ns && local(b) == name) {
                return b.getTextContent().trim()
            }
        }
        return null
    }

    private void compareElement(String parent, Element exp, Element act, List<String> diffs) {
        String p = parent + '/' + exp.getNodeName()
        if (nsOf(exp) != nsOf(act) || local(exp) != local(act)) {
            add(diffs, p + ': element {' + nsOf(act) + '}' + local(act) + ', want {' + nsOf(exp) + '}' + local(exp))
            return
        }
        compareAttrs(p, exp, act, diffs)
        List<Element> ek = elements(exp)
        List<Element> ak = elements(act)
        if (ek.isEmpty() && ak.isEmpty()) {
            compareValue(p + '/text()', exp.getTextContent().trim(), act.getTextContent().trim(), diffs)
            return
        }
        if (mixedText(exp) != '') {
            add(diffs, p + ': expected has text "' + mixedText(exp) + '" beside child elements')
        }
        if (mixedText(act) != '') {
            add(diffs, p + ': actual has text "' + mixedText(act) + '" beside child elements')
        }
        int n = Math.min(ek.size(), ak.size())
        for (int i = 0; i < n; i++) {
            compareElement(p, ek[i], ak[i], diffs)
        }
        for (int i = n; i < ak.size(); i++) {
            add(diffs, p + ': unexpected child {' + nsOf(ak[i]) + '}' + local(ak[i]))
        }
        for (int i = n; i < ek.size(); i++) {
            add(diffs, p + ': missing child {' + nsOf(ek[i]) + '}' + local(ek[i]))
        }
    }

    private void compareAttrs(String p, Element exp, Element act, List<String> diffs) {
        Map<String, String> em = attrs(exp)
        Map<String, String> am = attrs(act)
        em.each { String k, String v ->
            if (!am.containsKey(k)) {
                add(diffs, p + '/@' + k + ': missing')
            } else {
                compareValue(p + '/@' + k, v, am[k], diffs)
            }
        }
        am.keySet().each { String k ->
            if (!em.containsKey(k)) {
                add(diffs, p + '/@' + k + ': unexpected attribute')
            }
        }
    }

    private static void compareValue(String p, String exp, String act, List<String> diffs) {
        if (exp == WILDCARD) {
            if (act == '') {
                add(diffs, p + ': empty, want any value')
            }
        } else if (exp != act) {
            add(diffs, p + ': "' + act + '", want "' + exp + '"')
        }
    }

    /** Attributes as {ns}local -> value, without namespace declarations; xsi:type resolved to {ns}local. */
    private static Map<String, String> attrs(Element e) {
        Map<String, String> m = [:]
        NamedNodeMap list = e.getAttributes()
        for (int i = 0; i < list.getLength(); i++) {
            Node a = list.item(i)
            if (a.getNamespaceURI() == XMLNS) {
                continue
            }
            String key = '{' + (a.getNamespaceURI() ?: '') + '}' + (a.getLocalName() ?: a.getNodeName())
            String value = a.getNodeValue()
            if (key == '{' + XSI + '}type') {
                int colon = value.indexOf(':')
                String prefix = colon < 0 ? null : value.substring(0, colon)
                value = '{' + (e.lookupNamespaceURI(prefix) ?: '') + '}' + value.substring(colon + 1)
            }
            m[key] = value
        }
        return m
    }

    private static String mixedText(Element e) {
        StringBuilder b = new StringBuilder()
        NodeList list = e.getChildNodes()
        for (int i = 0; i < list.getLength(); i++) {
            Node n = list.item(i)
            if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                b.append(n.getNodeValue())
            }
        }
        return b.toString().trim()
    }

    private static List<Element> elements(Element e) {
        List<Element> out = []
        NodeList list = e.getChildNodes()
        for (int i = 0; i < list.getLength(); i++) {
            if (list.item(i).getNodeType() == Node.ELEMENT_NODE) {
                out << (Element) list.item(i)
            }
        }
        return out
    }

    private static Element firstElement(Element e) {
        List<Element> l = elements(e)
        return l.isEmpty() ? null : l[0]
    }

    private static Element firstChild(Element e, String name) {
        return elements(e).find { local(it) == name }
    }

    private static String nsOf(Element e) { return e.getNamespaceURI() ?: '' }

    private static String local(Node n) { return n.getLocalName() ?: n.getNodeName() }

    private static void add(List<String> diffs, String d) {
        if (diffs.size() < MAX_DIFFS) {
            diffs << d
        }
    }
}

new IpamdGolden()
