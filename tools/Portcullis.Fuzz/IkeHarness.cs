using System.Net;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;

namespace Portcullis.Fuzz;

/// <summary>
/// Two IKE engines back to back in one process with a fake clock (as the tests' EnginePair, without xunit): "left"
/// 192.0.2.1 initiates, "right" 192.0.2.2 responds, PSK. The fuzz targets use it to reach established SAs.
/// </summary>
internal sealed class IkeHarness
{
    public static readonly IPEndPoint LeftIke = new(IPAddress.Parse("192.0.2.1"), 500);
    public static readonly IPEndPoint RightIke = new(IPAddress.Parse("192.0.2.2"), 500);
    public static readonly byte[] Psk = "correct horse battery staple"u8.ToArray();

    public IkeHarness(int version, string ike, string esp, ILogger leftLog, ILogger rightLog, int seed = 1)
    {
        var lr = new Random(seed);
        var rr = new Random(seed + 1);
        Left = new IkeEngine(Config(version, left: true, ike, esp), new IkeEngineOptions { Random = s => lr.NextBytes(s) }, leftLog);
        Right = new IkeEngine(Config(version, left: false, ike, esp), new IkeEngineOptions { Random = s => rr.NextBytes(s) }, rightLog);
    }

    public IkeEngine Left { get; }
    public IkeEngine Right { get; }
    public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Every datagram sent, with its sender (true: left).</summary>
    public List<(bool FromLeft, byte[] Data)> Sent { get; } = [];

    /// <summary>When set, sees each datagram before delivery; false drops it.</summary>
    public Func<bool, byte[], bool>? Filter { get; set; }

    public static ConnectionConfig Connection(int version, bool left, string ike, string esp) => new()
    {
        Name = "net",
        Version = version,
        Location = new SourceLocation("fuzz", 1),
        LocalAddrs = left ? ["192.0.2.1"] : ["192.0.2.2"],
        RemoteAddrs = left ? ["192.0.2.2"] : [],
        Proposals = Proposals(ike, ProposalKind.Ike),
        Local = new AuthConfig { Auth = "psk", Id = Id(left ? "@left.example" : "@right.example") },
        Remote = new AuthConfig { Auth = "psk", Id = Id(left ? "@right.example" : "@left.example") },
        Children =
        [
            new ChildConfig
            {
                Name = "net",
                Location = new SourceLocation("fuzz", 1),
                LocalTs = [Ts(left ? "198.51.100.0/26" : "198.51.100.64/26")],
                RemoteTs = [Ts(left ? "198.51.100.64/26" : "198.51.100.0/26")],
                EspProposals = Proposals(esp, ProposalKind.Esp),
            },
        ],
    };

    public static PortcullisConfig Config(int version, bool left, string ike, string esp) => new()
    {
        Connections = [Connection(version, left, ike, esp)],
        Secrets = [new SharedSecret { Name = "ike-test", Ids = [Id("@left.example"), Id("@right.example")], Secret = Psk }],
    };

    private static List<Proposal> Proposals(string text, ProposalKind kind)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        return [.. proposals];
    }

    private static Identity Id(string text) => Identity.TryParse(text, out Identity? id, out string? e) ? id! : throw new ArgumentException(e);

    private static TrafficSelector Ts(string text) => TrafficSelector.TryParse(text, out TrafficSelector ts, out string? e) ? ts : throw new ArgumentException(e);

    /// <summary>Left initiates the child; the pair runs until quiet.</summary>
    public bool Establish()
    {
        if (!Left.Initiate(Now, "net", out _)) return false;
        Drive(TimeSpan.FromSeconds(30));
        return IsUp(Left) && IsUp(Right);
    }

    /// <summary>An established IKEv2 SA, or an established ISAKMP SA with a Quick Mode SA.</summary>
    private static bool IsUp(IkeEngine engine) =>
        Established(engine) is not null
        || engine.Ikev1.Sas.Any(s => s.State == Portcullis.Core.Ikev1.IsakmpSaState.Established && s.Children.Count > 0);

    /// <summary>The first established IKEv2 SA of an engine.</summary>
    public static IkeSa? Established(IkeEngine engine) => engine.IkeSas.FirstOrDefault(s => s.State == IkeSaState.Established);

    /// <summary>Moves datagrams until both are quiet, then runs timeouts due within <paramref name="horizon"/>.</summary>
    public void Drive(TimeSpan horizon)
    {
        DateTimeOffset limit = Now + horizon;
        for (int steps = 0; steps < 10_000; steps++)
        {
            if (Pump()) continue;
            DateTimeOffset? next = Min(Left.NextTimeout, Right.NextTimeout);
            if (next is null || next > limit) return;
            if (next > Now) Now = next.Value;
            Left.HandleTimeout(Now);
            Right.HandleTimeout(Now);
        }
    }

    /// <summary>Delivers what both engines queued; true if anything moved.</summary>
    public bool Pump()
    {
        bool moved = false;
        for (int rounds = 0; rounds < 1000; rounds++)
        {
            bool any = false;
            while (Left.TryDequeueEvent(out _)) { }
            while (Right.TryDequeueEvent(out _)) { }
            while (Left.TryDequeueTransmit(out IkeTransmit? t)) { any = true; Deliver(true, t!); }
            while (Right.TryDequeueTransmit(out IkeTransmit? t)) { any = true; Deliver(false, t!); }
            if (!any) break;
            moved = true;
        }
        return moved;
    }

    private void Deliver(bool fromLeft, IkeTransmit t)
    {
        Sent.Add((fromLeft, t.Data));
        if (t.Data.Length == 1 && t.Data[0] == 0xFF && !t.NonEspMarker) return; // NAT keepalive
        if (Filter is not null && !Filter(fromLeft, t.Data)) return;
        (fromLeft ? Right : Left).HandleDatagram(Now, t.Remote, t.Local, t.Data);
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    /// <summary>
    /// A picture of every SA an engine holds that could matter to a peer: IKEv2 SAs with state and CHILD SAs,
    /// IKEv1 SAs with theirs. Two equal snapshots mean nothing was deleted, rekeyed or altered.
    /// </summary>
    public static string Snapshot(IkeEngine engine, bool establishedOnly)
    {
        IEnumerable<string> v2 = engine.IkeSas.Where(s => !establishedOnly || s.State == IkeSaState.Established)
            .Select(s => $"v2 {s.InitiatorSpi:x16}/{s.ResponderSpi:x16} {s.State} {s.RemoteEndpoint} [{string.Join(",", s.Children.Select(c => $"{c.InboundSpi:x8}/{c.OutboundSpi:x8}:{c.State}"))}]");
        IEnumerable<string> v1 = engine.Ikev1.Sas.Where(s => !establishedOnly || s.State == Portcullis.Core.Ikev1.IsakmpSaState.Established)
            .Select(s => $"v1 {s.InitiatorCookie:x16}/{s.ResponderCookie:x16} {s.State} {s.RemoteEndpoint} [{string.Join(",", s.Children.Select(c => $"{c.InboundSpi:x8}/{c.OutboundSpi:x8}:{c.State}"))}]");
        return string.Join("\n", v2.Concat(v1).Order(StringComparer.Ordinal));
    }

    public static T Field<T>(object o, string name) =>
        (T)o.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(o)!;
}
