// groupdataclient.cs - a WCF (Mono System.ServiceModel) client of ipamd's
// IIpamEnumerator endpoint sending the LogicalGroupData parameter types
// ([MS-IPAMM2] 2.2.4.333, .334; 3.5.4.8.1.72, .73), as Mono's
// DataContractSerializer writes them: the LogicalGroup / LogicalGroupNode
// as a derived type (i:type), the Filter as a Dictionary<int, object>.
//
// Build:  mcs -out:groupdataclient.exe -r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll groupdataclient.cs
// Run:    mono groupdataclient.exe group|rangefilter|servers <endpointURI> <groupId> <fieldId> <valueId>
//
//   group        LogicalGroupDataForRootAlternateItems of the IPv4RangeLogicalGroup
//                groupId: the rows, one per line "ROW <i:type> <RecordId>"
//   rangefilter  the same with a Filter of two entries: ipamd refuses a
//                Filter for a range group at Initialize
//   servers      LogicalGroupDataForLogicalGroupNode of an
//                ActiveServerV4LogicalGroupNode (fieldId, valueId) with a Filter
// A refused Initialize prints "FAULT <IpamExceptionId> <reason>". Last line PASS, or FAIL <reason>.
// Exit 0 = PASS, 1 = FAIL, 3 = watchdog timeout.
using System;
using System.Collections.Generic;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.Threading;

namespace Microsoft.Windows.Ipam
{
	static class Ns
	{
		public const string Ipam = "http://Microsoft.Windows.Ipam";
	}

	[DataContract(Namespace = Ns.Ipam)]
	public enum EnumerationObjectType
	{
		[EnumMember] None, [EnumMember] LogicalGroupData,
	}

	[DataContract(Namespace = Ns.Ipam)]
	public enum LogicalGroupType
	{
		[EnumMember] None, [EnumMember] Range, [EnumMember] IPAddress, [EnumMember] ManagedServer, [EnumMember] Subnet,
	}

	[DataContract(Namespace = Ns.Ipam)]
	[KnownType(typeof(LogicalGroupDataForRootAlternateItemsEnumerationParameters))]
	[KnownType(typeof(LogicalGroupDataForLogicalGroupNodeEnumerationParameters))]
	public class EnumerationParametersBase
	{
		[DataMember(IsRequired = true)] public bool FetchAllData;
		[DataMember(IsRequired = true)] public bool IncludeCustomFieldValues;
		[DataMember(IsRequired = true)] public EnumerationObjectType ObjectType;
	}

	[DataContract(Namespace = Ns.Ipam)]
	public class LogicalGroupDataForRootAlternateItemsEnumerationParameters : EnumerationParametersBase
	{
		[DataMember] public Dictionary<int, object> Filter;
		[DataMember] public LogicalGroup LogicalGroup;
		[DataMember] public LogicalGroupType LogicalGroupType;
	}

	[DataContract(Namespace = Ns.Ipam)]
	public class LogicalGroupDataForLogicalGroupNodeEnumerationParameters : EnumerationParametersBase
	{
		[DataMember] public Dictionary<int, object> Filter;
		[DataMember] public LogicalGroupNode LogicalGroupNode;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	[KnownType(typeof(IPv4Range))]
	[KnownType(typeof(IPv4RangeLogicalGroup))]
	[KnownType(typeof(ActiveServerV4LogicalGroupNode))]
	[KnownType(typeof(IpamExceptionData))]
	public class IpamObject { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class BaseIpamObject : IpamObject
	{
		[DataMember] public string[] ModifiedProperties;
		[DataMember] public string[] SetProperties;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class LogicalGroup : BaseIpamObject
	{
		[DataMember] public string Name;
		[DataMember] public long? RecordId;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IPv4RangeLogicalGroup : LogicalGroup { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class LogicalGroupNode : BaseIpamObject
	{
		[DataMember] public LogicalGroupNode[] AncestorNodes;
		[DataMember] public long? CustomFieldRecordId;
		[DataMember] public long? LogicalGroupRecordId;
		[DataMember] public long? NodeCustomFieldValueId;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class ActiveServerV4LogicalGroupNode : LogicalGroupNode { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IPRange : BaseIpamObject
	{
		[DataMember] public long? RecordId;
	}

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IPv4Range : IPRange { }

	[DataContract(Namespace = Ns.Ipam, IsReference = true)]
	public class IpamExceptionData : IpamObject
	{
		[DataMember] public string ExceptionId;
		[DataMember] public string ExceptionMessage;
	}

	[Serializable]
	[KnownType(typeof(IpamExceptionData))]
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
		public string Failure;

		public void NotifyEnumerationStart () { }

		public void EnumeratedRowsCallback (IpamObject[] data)
		{
			foreach (var o in data) {
				var r = o as IPRange;
				if (r != null)
					Console.Out.WriteLine ("ROW " + o.GetType ().Name + " " + r.RecordId);
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
		public static int Main (string[] argv)
		{
			if (argv.Length != 5) {
				Console.Error.WriteLine ("usage: groupdataclient.exe group|rangefilter|servers <uri> <groupId> <fieldId> <valueId>");
				return 2;
			}
			new Thread (() => { Thread.Sleep (120000); Console.Out.WriteLine ("FAIL watchdog"); Environment.Exit (3); }) { IsBackground = true }.Start ();
			long group = long.Parse (argv[2]), field = long.Parse (argv[3]), value = long.Parse (argv[4]);
			var filter = new Dictionary<int, object> { { 1, "Dhcp" }, { 4, 7 } };
			EnumerationParametersBase p;
			switch (argv[0]) {
			case "servers":
				p = new LogicalGroupDataForLogicalGroupNodeEnumerationParameters { ObjectType = EnumerationObjectType.LogicalGroupData, Filter = filter,
					LogicalGroupNode = new ActiveServerV4LogicalGroupNode { LogicalGroupRecordId = group, CustomFieldRecordId = field, NodeCustomFieldValueId = value } };
				break;
			default:
				p = new LogicalGroupDataForRootAlternateItemsEnumerationParameters { ObjectType = EnumerationObjectType.LogicalGroupData,
					LogicalGroup = new IPv4RangeLogicalGroup { Name = "Managed by", RecordId = group }, LogicalGroupType = LogicalGroupType.Range,
					Filter = argv[0] == "rangefilter" ? filter : null };
				break;
			}
			var b = new NetTcpBinding (SecurityMode.None);
			b.OpenTimeout = b.SendTimeout = TimeSpan.FromSeconds (30);
			b.ReceiveTimeout = TimeSpan.FromSeconds (180);
			b.CloseTimeout = TimeSpan.FromSeconds (2);
			var sink = new Sink ();
			var f = new DuplexChannelFactory<IIpamEnumerator> (new InstanceContext (sink), b, new EndpointAddress (argv[1]));
			f.Open ();
			var ch = f.CreateChannel ();
			try {
				try {
					ch.InitializeEnumeration (p);
				} catch (FaultException<IpamException> e) {
					var d = e.Detail == null ? null : e.Detail.IpamExceptionData;
					Console.Out.WriteLine ("FAULT " + (d == null ? "?" : d.ExceptionId) + " " + e.Message.Replace ('\n', ' '));
					Console.Out.WriteLine ("PASS");
					return 0;
				} catch (FaultException e) {
					Console.Out.WriteLine ("FAULT ? " + e.Message.Replace ('\n', ' '));
					Console.Out.WriteLine ("PASS");
					return 0;
				}
				ch.StartEnumeration ();
				if (!sink.Done.WaitOne (TimeSpan.FromSeconds (110))) {
					Console.Out.WriteLine ("FAIL no NotifyEnumerationComplete");
					return 1;
				}
			} catch (Exception e) {
				Console.Out.WriteLine ("FAIL " + e.GetType ().Name + ": " + e.Message.Replace ('\n', ' '));
				return 1;
			} finally {
				try { ((ICommunicationObject) ch).Abort (); } catch (Exception) { }
				try { f.Abort (); } catch (Exception) { }
			}
			if (sink.Failure != null) {
				Console.Out.WriteLine ("FAIL " + sink.Failure);
				return 1;
			}
			Console.Out.WriteLine ("PASS");
			return 0;
		}
	}
}
