// enumclient.cs - a WCF (Mono System.ServiceModel) client of ipamd's
// IIpamEnumerator duplex endpoint ([MS-IPAMM2] 3.5, 3.7).
//
// Build:  mcs -out:enumclient.exe -r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll enumclient.cs
// Run:    mono enumclient.exe <IPAddress|IPRange> <IPv4|IPv6> <endpointURI>
//
// InitializeEnumeration(IpamIPAddressRootAddressesEnumerationParameters or
// IPRangeRootEnumerationParameters) -> StartEnumeration -> NotifyEnumerationStart,
// EnumeratedRowsCallback*, NotifyEnumerationComplete. The rows are read by
// Mono's DataContractSerializer into the data contracts below, which declare
// only the members the test checks (the serializer skips the others), and
// printed one per line:
//   ROW <i:type> <RecordId> <address>
//   BATCHES <n>
//   PASS            or      FAIL <reason>
// Exit 0 = PASS, 1 = FAIL, 3 = watchdog timeout.
using System;
using System.Collections.Generic;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.Threading;

namespace Microsoft.Windows.Ipam
{
	static class Ns
	{
		public const string Ipam = "http://Microsoft.Windows.Ipam";
		public const string Net = "http://schemas.datacontract.org/2004/07/System.Net";
		public const string Sockets = "http://schemas.datacontract.org/2004/07/System.Net.Sockets";
	}

	[DataContract(Namespace = Ns.Ipam)]
	public enum EnumerationObjectType
	{
		[EnumMember] None, [EnumMember] ServerInfo, [EnumMember] IPAddress, [EnumMember] IPRange,
	}

	[DataContract(Namespace = Ns.Sockets)]
	public enum AddressFamily { [EnumMember] InterNetwork, [EnumMember] InterNetworkV6 }

	// IIpamRemotingModule is the module a console passes to
	// InitializeEnumerationWithModule; the contract declares no members.
	[DataContract(Namespace = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam")]
	public class IIpamRemotingModule
	{
	}

	[DataContract(Namespace = Ns.Ipam)]
	[KnownType(typeof(IpamIPAddressRootAddressesEnumerationParameters))]
	[KnownType(typeof(IPRangeRootEnumerationParameters))]
	public class EnumerationParametersBase
	{
		[DataMember(IsRequired = true)] public bool FetchAllData;
		[DataMember(IsRequired = true)] public bool IncludeCustomFieldValues;
		[DataMember(IsRequired = true)] public EnumerationObjectType ObjectType;
	}

	[DataContract(Namespace = Ns.Ipam)]
	public class IpamIPAddressRootAddressesEnumerationParameters : EnumerationParametersBase
	{
		[DataMember] public AddressFamily AddressFamily;
	}

	[DataContract(Namespace = Ns.Ipam)]
	public class IPRangeRootEnumerationParameters : EnumerationParametersBase
	{
		[DataMember] public AddressFamily AddressFamily;
	}

	// sysnet:IPAddress (2.2.4.441): System.Net.IPAddress's serialized fields.
	[DataContract(Name = "IPAddress", Namespace = Ns.Net)]
	public class NetAddress
	{
		[DataMember] public long m_Address;
		[DataMember] public AddressFamily m_Family;
		[DataMember] public int m_HashCode;
		[DataMember] public ushort[] m_Numbers;
		[DataMember] public long m_ScopeId;

		public override string ToString ()
		{
			if (m_Family == AddressFamily.InterNetwork) {
				var b = BitConverter.GetBytes ((uint) m_Address); // little-endian: network order
				if (!BitConverter.IsLittleEndian)
					Array.Reverse (b);
				return new System.Net.IPAddress (b).ToString ();
			}
			var v6 = new byte[16];
			for (int i = 0; i < 8 && m_Numbers != null && i < m_Numbers.Length; i++) {
				v6[2 * i] = (byte) (m_Numbers[i] >> 8);
				v6[2 * i + 1] = (byte) m_Numbers[i];
			}
			return new System.Net.IPAddress (v6).ToString ();
		}
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	[KnownType(typeof(IPv4Range))]
	[KnownType(typeof(IPv6Range))]
	[KnownType(typeof(IpamIPv4Address))]
	[KnownType(typeof(IpamIPv6Address))]
	public class IpamObject { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class BaseIpamObject : IpamObject
	{
		[DataMember] public string[] ModifiedProperties;
		[DataMember] public string[] SetProperties;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IPRange : BaseIpamObject
	{
		[DataMember] public NetAddress EndIPAddress;
		[DataMember] public int PrefixLength;
		[DataMember] public long? RecordId;
		[DataMember] public NetAddress StartIPAddress;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IPv4Range : IPRange { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IPv6Range : IPRange { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamIPAddress : BaseIpamObject
	{
		[DataMember] public NetAddress Address;
		[DataMember] public long? ParentIPRangeRecordId;
		[DataMember] public long? RecordId;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamIPv4Address : IpamIPAddress { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamIPv6Address : IpamIPAddress { }

	[DataContract(Namespace = Ns.Ipam)]
	public class IpamExceptionData : IpamObject
	{
		[DataMember] public string ExceptionId;
		[DataMember] public string ExceptionMessage;
	}

	[Serializable]
	public class IpamException : Exception
	{
		public IpamExceptionData IpamExceptionData { get; private set; }

		protected IpamException (SerializationInfo info, StreamingContext context) : base (info, context)
		{
			IpamExceptionData = (IpamExceptionData) info.GetValue ("IpamExceptionData", typeof (IpamExceptionData));
		}

		public override void GetObjectData (SerializationInfo info, StreamingContext context)
		{
			base.GetObjectData (info, context);
			info.AddValue ("IpamExceptionData", IpamExceptionData, typeof (IpamExceptionData));
		}
	}

	[ServiceContract (Namespace = Ns.Ipam, SessionMode = SessionMode.Required, CallbackContract = typeof (IIpamEnumeratorCallback))]
	public interface IIpamEnumerator
	{
		[OperationContract (IsInitiating = true)]
		[FaultContract (typeof (IpamException))]
		void InitializeEnumeration (EnumerationParametersBase parameters);

		[OperationContract (IsInitiating = true)]
		[FaultContract (typeof (IpamException))]
		void InitializeEnumerationWithModule (EnumerationParametersBase parameters, IIpamRemotingModule remotingModule);

		[OperationContract (IsOneWay = true, IsInitiating = true)]
		void StartEnumeration ();
	}

	public interface IIpamEnumeratorCallback
	{
		[OperationContract (IsOneWay = true)]
		void NotifyEnumerationStart ();

		[OperationContract (IsOneWay = true)]
		void EnumeratedRowsCallback (IpamObject[] data);

		[OperationContract (IsOneWay = true)]
		void NotifyEnumerationComplete (IpamObject result, IpamException exception);
	}

	[CallbackBehavior (ConcurrencyMode = ConcurrencyMode.Single, UseSynchronizationContext = false)]
	public class Sink : IIpamEnumeratorCallback
	{
		public readonly ManualResetEvent Done = new ManualResetEvent (false);
		public bool Started;
		public int Batches;
		public string Failure;

		public void NotifyEnumerationStart () { Started = true; }

		public void EnumeratedRowsCallback (IpamObject[] data)
		{
			if (!Started)
				Failure = "rows before NotifyEnumerationStart";
			Batches++;
			foreach (var o in data) {
				var r = o as IPRange;
				var a = o as IpamIPAddress;
				if (r != null)
					Program.Out ("ROW " + o.GetType ().Name + " " + r.RecordId + " " + r.StartIPAddress);
				else if (a != null)
					Program.Out ("ROW " + o.GetType ().Name + " " + a.RecordId + " " + a.Address);
				else
					Failure = "row of type " + (o == null ? "null" : o.GetType ().Name);
			}
		}

		public void NotifyEnumerationComplete (IpamObject result, IpamException exception)
		{
			if (exception != null)
				Failure = "exception " + (exception.IpamExceptionData == null ? "?" : exception.IpamExceptionData.ExceptionId);
			Done.Set ();
		}
	}

	public static class Program
	{
		static readonly object outLock = new object ();

		public static void Out (string line)
		{
			lock (outLock)
				Console.Out.WriteLine (line);
		}

		public static int Main (string[] argv)
		{
			if (argv.Length != 3) {
				Console.Error.WriteLine ("usage: enumclient.exe <IPAddress|IPRange> <IPv4|IPv6> <uri>");
				return 2;
			}
			new Thread (() => { Thread.Sleep (120000); Out ("FAIL watchdog"); Environment.Exit (3); }) { IsBackground = true }.Start ();
			var family = argv[1] == "IPv6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
			EnumerationParametersBase p;
			if (argv[0] == "IPRange")
				p = new IPRangeRootEnumerationParameters { ObjectType = EnumerationObjectType.IPRange, AddressFamily = family };
			else
				p = new IpamIPAddressRootAddressesEnumerationParameters { ObjectType = EnumerationObjectType.IPAddress, AddressFamily = family };

			var b = new NetTcpBinding (SecurityMode.None);
			b.OpenTimeout = b.SendTimeout = TimeSpan.FromSeconds (30);
			b.ReceiveTimeout = TimeSpan.FromSeconds (180);
			b.CloseTimeout = TimeSpan.FromSeconds (2);
			// The client's default MaxReceivedMessageSize (65536) stays: every
			// EnumeratedRowsCallback must fit in it.
			var sink = new Sink ();
			var f = new DuplexChannelFactory<IIpamEnumerator> (new InstanceContext (sink), b, new EndpointAddress (argv[2]));
			f.Open ();
			var ch = f.CreateChannel ();
			try {
				ch.InitializeEnumeration (p);
				ch.StartEnumeration ();
				if (!sink.Done.WaitOne (TimeSpan.FromSeconds (110))) {
					Out ("FAIL no NotifyEnumerationComplete");
					return 1;
				}
			} catch (Exception e) {
				Out ("FAIL " + e.GetType ().Name + ": " + e.Message.Replace ('\n', ' '));
				return 1;
			} finally {
				try { ((ICommunicationObject) ch).Abort (); } catch (Exception) { }
				try { f.Abort (); } catch (Exception) { }
			}
			Out ("BATCHES " + sink.Batches);
			if (sink.Failure != null) {
				Out ("FAIL " + sink.Failure);
				return 1;
			}
			Out ("PASS");
			return 0;
		}
	}
}
