using System.Net;
using Microsoft.Extensions.Logging;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>An ILogger that keeps every line (formatted) with its level, for assertions.</summary>
public sealed class CapturingLogger(string name) : ILogger
{
    public string Name { get; } = name;

    public List<(LogLevel Level, string Text)> Lines { get; } = [];

    public IEnumerable<string> Warnings => Lines.Where(l => l.Level >= LogLevel.Warning).Select(l => l.Text);

    public bool Has(string fragment) => Lines.Any(l => l.Text.Contains(fragment, StringComparison.Ordinal));

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Add((logLevel, formatter(state, exception)));

    public override string ToString() => string.Join('\n', Lines.Select(l => $"{l.Level}: {l.Text}"));
}

/// <summary>Which engine sent a packet.</summary>
public enum Side { Left, Right }

/// <summary>A datagram on the simulated wire: as sent (before the NAT) and where it goes.</summary>
public sealed record Packet(Side From, IPEndPoint Source, IPEndPoint Destination, byte[] Data, bool NonEspMarker)
{
    /// <summary>When it was sent (the fake clock).</summary>
    public DateTimeOffset At { get; init; }

    public bool IsKeepalive => Data.Length == 1 && Data[0] == 0xFF && !NonEspMarker;

    /// <summary>Header fields, when the data has one.</summary>
    public Portcullis.Core.Ikev2.Wire.IkeHeader? Header =>
        Portcullis.Core.Ikev2.Wire.IkeHeader.TryParse(Data, out var h, out _) ? h : null;
}

/// <summary>
/// Two IKE engines wired back to back in-process: "left" (192.0.2.1) usually initiates, "right" (192.0.2.2)
/// responds. A fake clock; <see cref="Drive"/> moves datagrams until both are quiet, then advances the clock to the
/// next timeout. Hooks drop, duplicate, reorder or mutate packets; <see cref="NatLeft"/> puts left behind a NAT.
/// </summary>
public sealed class EnginePair
{
    public static readonly IPAddress LeftAddress = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress RightAddress = IPAddress.Parse("192.0.2.2");
    public static readonly IPAddress NatPublicAddress = IPAddress.Parse("203.0.113.1");

    public static readonly TrafficSelector LeftNet = Ts("198.51.100.0/26");
    public static readonly TrafficSelector RightNet = Ts("198.51.100.64/26");

    public static readonly byte[] DefaultPsk = "correct horse battery staple"u8.ToArray();

    public EnginePair(PortcullisConfig left, PortcullisConfig right, IkeEngineOptions? leftOptions = null, IkeEngineOptions? rightOptions = null)
    {
        LeftLog = new CapturingLogger("left");
        RightLog = new CapturingLogger("right");
        Left = new IkeEngine(left, WithRandom(leftOptions, 1), LeftLog);
        Right = new IkeEngine(right, WithRandom(rightOptions, 2), RightLog);
    }

    public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public IkeEngine Left { get; }
    public IkeEngine Right { get; }
    public CapturingLogger LeftLog { get; }
    public CapturingLogger RightLog { get; }

    /// <summary>Everything each engine emitted, in order.</summary>
    public List<IkeEvent> LeftEvents { get; } = [];
    public List<IkeEvent> RightEvents { get; } = [];

    /// <summary>Every datagram sent, as sent (before NAT and hooks).</summary>
    public List<Packet> Sent { get; } = [];

    /// <summary>Every datagram delivered, as delivered (after NAT and hooks).</summary>
    public List<Packet> Delivered { get; } = [];

    /// <summary>
    /// Sees each packet as sent and returns what goes on the wire instead: nothing (drop), the packet (default),
    /// it twice (duplicate), a changed copy (mutate). Reorder by holding packets back and <see cref="Inject"/>ing later.
    /// </summary>
    public Func<Packet, IEnumerable<Packet>>? Intercept { get; set; }

    /// <summary>Left sits behind a NAT: its source 192.0.2.1:500/4500 becomes 203.0.113.1:30000/30001 and back.</summary>
    public bool NatLeft { get; set; }

    /// <summary>
    /// The addresses left's host has (MOBIKE tests move it): packets to others do not reach left, and left cannot send
    /// from an address it no longer has.
    /// </summary>
    public HashSet<IPAddress> LeftAddresses { get; } = [LeftAddress];

    /// <summary>Right's address: packets to it reach right (IPv6 tests change it, and add to <see cref="LeftAddresses"/>).</summary>
    public IPAddress RightHost { get; set; } = RightAddress;

    /// <summary>Left's address behind the NAT and the NAT's public one, when <see cref="NatLeft"/>.</summary>
    public IPAddress NatInside { get; set; } = LeftAddress;
    public IPAddress NatOutside { get; set; } = NatPublicAddress;

    private readonly Queue<Packet> _wire = new();

    public static TrafficSelector Ts(string text) =>
        TrafficSelector.TryParse(text, out TrafficSelector ts, out string? error) ? ts : throw new ArgumentException(error);

    public static Identity Id(string text) =>
        Identity.TryParse(text, out Identity? id, out string? error) ? id! : throw new ArgumentException(error);

    /// <summary>One proposal in strongSwan's notation, through the configuration's own proposal parser.</summary>
    public static Proposal P(string text, bool ike)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, ike ? ProposalKind.Ike : ProposalKind.Esp);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        return Assert.Single(proposals);
    }

    /// <summary>A connection config with one child "net" (and optional extra children).</summary>
    public static ConnectionConfig Connection(bool left, string ike = "aes128gcm16-prfsha256-ecp256", string esp = "aes128gcm16",
        IReadOnlyList<TrafficSelector>? localTs = null, IReadOnlyList<TrafficSelector>? remoteTs = null, bool encap = false,
        IReadOnlyList<ChildConfig>? extraChildren = null, string name = "net", string? localAddr = null, string? remoteAddr = null, string? ah = null)
    {
        var child = new ChildConfig
        {
            Name = name,
            Location = new SourceLocation("test", 1),
            LocalTs = localTs ?? [left ? LeftNet : RightNet],
            RemoteTs = remoteTs ?? [left ? RightNet : LeftNet],
            EspProposals = esp.Split(',').Select(p => P(p, ike: false)).ToList(),
            AhProposals = ah is null ? [] : ah.Split(',').Select(AhProposal).ToList(),
        };
        return new ConnectionConfig
        {
            Name = name,
            Location = new SourceLocation("test", 1),
            LocalAddrs = [localAddr ?? (left ? "192.0.2.1" : "192.0.2.2")],
            // The responder accepts any address: behind a NAT the initiator shows up as 203.0.113.1.
            RemoteAddrs = remoteAddr is not null ? [remoteAddr] : left ? ["192.0.2.2"] : [],
            Proposals = ike.Split(',').Select(p => P(p, ike: true)).ToList(),
            Encap = encap,
            Local = new AuthConfig { Auth = "psk", Id = Id(left ? "@left.example" : "@right.example") },
            Remote = new AuthConfig { Auth = "psk", Id = Id(left ? "@right.example" : "@left.example") },
            Children = [child, .. extraChildren ?? []],
        };
    }

    /// <summary>An AH proposal from keywords (integrity, optionally a group and ESN; noesn unless esn is named), as ah_proposals gives it.</summary>
    public static Proposal AhProposal(string text)
    {
        List<Portcullis.Core.Crypto.Registry.Transform> transforms = [.. text.Split('-').Select(k =>
            Portcullis.Core.Crypto.Registry.TransformRegistry.TryGet(k, out Portcullis.Core.Crypto.Registry.Transform? t)
                ? Portcullis.Core.Crypto.Registry.TransformRegistry.AhIntegrityFor(t!) ?? t! : throw new ArgumentException(k))];
        if (!transforms.Any(t => t.Type == Portcullis.Core.Crypto.TransformType.ExtendedSequenceNumbers))
            transforms.Add(Portcullis.Core.Crypto.Registry.TransformRegistry.Get<Portcullis.Core.Crypto.Registry.EsnTransform>("noesn"));
        return new Proposal(transforms);
    }

    public static ChildConfig Child(string name, bool left, IReadOnlyList<TrafficSelector> leftTs, IReadOnlyList<TrafficSelector> rightTs, string esp = "aes128gcm16") => new()
    {
        Name = name,
        Location = new SourceLocation("test", 1),
        LocalTs = left ? leftTs : rightTs,
        RemoteTs = left ? rightTs : leftTs,
        EspProposals = esp.Split(',').Select(p => P(p, ike: false)).ToList(),
    };

    public static PortcullisConfig MakeConfig(ConnectionConfig connection, byte[]? psk = null) => new()
    {
        Connections = [connection],
        Secrets = [new SharedSecret { Name = "ike-test", Ids = [Id("@left.example"), Id("@right.example")], Secret = psk ?? DefaultPsk }],
    };

    /// <summary>The usual pair: left initiates to right with the given proposals.</summary>
    public static EnginePair Create(string ike = "aes128gcm16-prfsha256-ecp256", string esp = "aes128gcm16", bool encap = false) =>
        new(MakeConfig(Connection(left: true, ike, esp, encap: encap)), MakeConfig(Connection(left: false, ike, esp)));

    private static IkeEngineOptions WithRandom(IkeEngineOptions? o, int seed)
    {
        var random = new Random(seed);
        o ??= new IkeEngineOptions();
        return o with { Random = o.Random ?? (span => random.NextBytes(span)) };
    }

    /// <summary>Left initiates the child and the pair is driven until quiet.</summary>
    public void Establish(string child = "net", TimeSpan? horizon = null)
    {
        Assert.True(Left.Initiate(Now, child, out string? error), error);
        Drive(horizon);
    }

    /// <summary>Puts a packet on the wire as if it had been sent (it still goes through the NAT, not through the hook).</summary>
    public void Inject(Packet packet) => _wire.Enqueue(packet);

    /// <summary>
    /// Moves datagrams until both engines are quiet; then, while a timeout is due within <paramref name="horizon"/>
    /// (default 5 minutes) of the start, advances the clock to it and goes on.
    /// </summary>
    public void Drive(TimeSpan? horizon = null)
    {
        DateTimeOffset limit = Now + (horizon ?? TimeSpan.FromMinutes(5));
        for (int steps = 0; steps < 100_000; steps++)
        {
            if (Pump()) continue;
            DateTimeOffset? next = Min(Left.NextTimeout, Right.NextTimeout);
            if (next is null || next > limit) return;
            if (next > Now) Now = next.Value;
            Left.HandleTimeout(Now);
            Right.HandleTimeout(Now);
        }
        throw new InvalidOperationException("EnginePair.Drive did not settle");
    }

    /// <summary>Delivers what is queued; true if anything moved.</summary>
    public bool Pump()
    {
        bool moved = Collect();
        while (_wire.TryDequeue(out Packet? p))
        {
            moved = true;
            Deliver(p);
            Collect();
        }
        return moved;
    }

    private bool Collect()
    {
        bool any = false;
        any |= CollectFrom(Side.Left, Left, LeftEvents);
        any |= CollectFrom(Side.Right, Right, RightEvents);
        return any;
    }

    private bool CollectFrom(Side side, IkeEngine engine, List<IkeEvent> events)
    {
        bool any = false;
        while (engine.TryDequeueEvent(out IkeEvent? e)) events.Add(e!);
        while (engine.TryDequeueTransmit(out IkeTransmit? t))
        {
            any = true;
            if (side == Side.Left && !LeftAddresses.Contains(t!.Local.Address)) continue; // the kernel refuses a source the host no longer has
            var p = new Packet(side, t!.Local, t.Remote, t.Data, t.NonEspMarker) { At = Now };
            Sent.Add(p);
            foreach (Packet q in Intercept?.Invoke(p) ?? [p]) _wire.Enqueue(q);
        }
        return any;
    }

    private static readonly Dictionary<int, int> s_natPorts = new() { [500] = 30000, [4500] = 30001 };

    private void Deliver(Packet p)
    {
        IPEndPoint source = p.Source, destination = p.Destination;
        if (NatLeft && p.From == Side.Left && source.Address.Equals(NatInside) && s_natPorts.TryGetValue(source.Port, out int outside))
            source = new IPEndPoint(NatOutside, outside);
        if (NatLeft && p.From == Side.Right && destination.Address.Equals(NatOutside))
        {
            int inside = s_natPorts.FirstOrDefault(kv => kv.Value == destination.Port).Key;
            if (inside == 0) return; // no mapping: the NAT drops it
            destination = new IPEndPoint(NatInside, inside);
        }
        var delivered = p with { Source = source, Destination = destination };
        Delivered.Add(delivered);
        if (p.IsKeepalive) return; // the host swallows NAT-keepalives
        IkeEngine target = p.From == Side.Left ? Right : Left;
        bool reaches = p.From == Side.Left ? destination.Address.Equals(RightHost) : LeftAddresses.Contains(destination.Address);
        if (!reaches) return; // sent nowhere useful
        target.HandleDatagram(Now, destination, source, p.Data);
    }

    /// <summary>No retransmission or other short timer is pending: the next timeout, if any, is a lifetime (rekey) far ahead.</summary>
    public void AssertNothingPending(IkeEngine engine)
    {
        if (engine.NextTimeout is { } next) Assert.True(next > Now + TimeSpan.FromMinutes(30), $"a timeout is pending at {next - Now} from now");
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    public IEnumerable<T> Events<T>(Side side) where T : IkeEvent => (side == Side.Left ? LeftEvents : RightEvents).OfType<T>();

    public string Dump() => $"--- left\n{LeftLog}\n--- right\n{RightLog}";
}
