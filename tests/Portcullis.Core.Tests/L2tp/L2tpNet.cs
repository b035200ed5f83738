using System.Net;
using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>A datagram on the simulated wire as the server's side of the network sees it (client sources after the NAT).</summary>
public sealed record WirePacket(string From, IPEndPoint Source, IPEndPoint Destination, byte[] Data)
{
    /// <summary>When it was sent (the fake clock).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The control message it carries, or null for a data message or garbage.</summary>
    public ControlMessage? Control => ControlMessage.TryParse(Data, L2tpNet.Secret, out ControlMessage? m, out _) ? m : null;

    /// <summary>"SCCRQ", "ZLB", "data".</summary>
    public string Kind => Control?.Name ?? "data";

    /// <inheritdoc />
    public override string ToString() => $"{From} {Kind} {Control?.Ns}/{Control?.Nr}";
}

/// <summary>
/// One LNS and any number of LACs in-process with a fake clock. Each client has its own private endpoint and the
/// public one the server sees (a NAT maps between them; several clients may share the private one, as machines behind
/// one home router do). Hooks drop, duplicate, reorder or change datagrams.
/// </summary>
public sealed class L2tpNet
{
    public static readonly IPEndPoint ServerEndpoint = new(IPAddress.Parse("192.0.2.1"), 1701);
    public static readonly byte[] Secret = "l2tp tunnel secret"u8.ToArray();
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public sealed class Peer(string name, L2tpEngine engine, CapturingLogger log, IPEndPoint local, IPEndPoint publicEndpoint)
    {
        public string Name { get; } = name;
        public L2tpEngine Engine { get; } = engine;
        public L2tpClient Client => (L2tpClient)Engine;
        public CapturingLogger Log { get; } = log;
        public IPEndPoint Local { get; } = local;
        public IPEndPoint Public { get; } = publicEndpoint;
        public List<L2tpEvent> Events { get; } = [];
        public List<(L2tpSession Session, byte[] Frame)> Frames { get; } = [];
    }

    public L2tpNet(L2tpOptions? serverOptions = null, int seed = 1)
    {
        ServerLog = new CapturingLogger("server");
        var server = new L2tpServer(WithRandom(serverOptions ?? new L2tpOptions { HostName = "lns.example" }, seed), ServerLog);
        Server = new Peer("server", server, ServerLog, ServerEndpoint, ServerEndpoint);
        Hook(Server);
    }

    public DateTimeOffset Now { get; set; } = T0;
    public Peer Server { get; }
    public L2tpServer ServerEngine => (L2tpServer)Server.Engine;
    public CapturingLogger ServerLog { get; }
    public List<Peer> Clients { get; } = [];

    /// <summary>Every datagram sent, in order (before the hook).</summary>
    public List<WirePacket> Sent { get; } = [];

    /// <summary>Every datagram delivered (after the hook).</summary>
    public List<WirePacket> Delivered { get; } = [];

    /// <summary>Sees each packet as sent; returns what goes on the wire instead (nothing, it, it twice, a changed copy).</summary>
    public Func<WirePacket, IEnumerable<WirePacket>>? Intercept { get; set; }

    private readonly Queue<WirePacket> _wire = new();

    public static L2tpOptions WithRandom(L2tpOptions options, int seed)
    {
        var random = new Random(seed);
        return options with { Random = options.Random ?? (span => random.NextBytes(span)) };
    }

    /// <summary>A client with its own address (or, with <paramref name="local"/>, a shared private one behind a NAT).</summary>
    public Peer AddClient(L2tpOptions? options = null, int seed = 100, IPEndPoint? local = null, IPEndPoint? publicEndpoint = null)
    {
        int n = Clients.Count + 1;
        IPEndPoint pub = publicEndpoint ?? new IPEndPoint(IPAddress.Parse($"198.51.100.{n}"), 1701);
        var log = new CapturingLogger($"client{n}");
        var client = new L2tpClient(WithRandom(options ?? new L2tpOptions { HostName = $"lac{n}.example" }, seed), log);
        var peer = new Peer($"client{n}", client, log, local ?? pub, pub);
        Hook(peer);
        Clients.Add(peer);
        return peer;
    }

    private static void Hook(Peer peer) => peer.Engine.FrameReceived = (session, frame) => peer.Frames.Add((session, frame.ToArray()));

    /// <summary>Client connects and opens one session; driven until quiet.</summary>
    public (L2tpTunnel Tunnel, L2tpSession Session) Connect(Peer client, TimeSpan? horizon = null)
    {
        L2tpTunnel tunnel = client.Client.Connect(Now, client.Local, ServerEndpoint);
        L2tpSession session = client.Client.OpenSession(Now, tunnel);
        Drive(horizon ?? TimeSpan.FromSeconds(5));
        return (tunnel, session);
    }

    /// <summary>Puts a datagram on the wire without the hook.</summary>
    public void Inject(WirePacket packet) => _wire.Enqueue(packet);

    /// <summary>Sends a PPP frame on a session, as the host's data path would.</summary>
    public bool SendFrame(Peer from, L2tpSession session, byte[] frame)
    {
        byte[] buffer = new byte[L2tpEngine.MaxDataHeaderSize + frame.Length];
        if (!from.Engine.TryEncapsulateData(session, frame, buffer, out int written)) return false;
        Put(from, new L2tpTransmit(session.Tunnel.LocalEndpoint, session.Tunnel.RemoteEndpoint, buffer[..written]));
        return true;
    }

    /// <summary>Moves datagrams until quiet; then, while a timeout is due within <paramref name="horizon"/>, advances the clock to it.</summary>
    public void Drive(TimeSpan? horizon = null)
    {
        DateTimeOffset limit = Now + (horizon ?? TimeSpan.FromMinutes(5));
        for (int steps = 0; steps < 1_000_000; steps++)
        {
            if (Pump()) continue;
            DateTimeOffset? next = All.Select(p => p.Engine.NextTimeout).Where(t => t is not null).Min();
            if (next is null || next > limit)
            {
                if (Now < limit && next is not null) Now = limit;
                return;
            }
            if (next > Now) Now = next.Value;
            foreach (Peer p in All) p.Engine.HandleTimeout(Now);
        }
        throw new InvalidOperationException("L2tpNet.Drive did not settle");
    }

    private IEnumerable<Peer> All => [Server, .. Clients];

    private bool Pump()
    {
        bool moved = false;
        foreach (Peer peer in All)
        {
            while (peer.Engine.TryDequeueTransmit(out L2tpTransmit? t)) { Put(peer, t); moved = true; }
            while (peer.Engine.TryDequeueEvent(out L2tpEvent? e)) peer.Events.Add(e);
        }
        while (_wire.TryDequeue(out WirePacket? packet))
        {
            moved = true;
            Delivered.Add(packet);
            if (packet.Destination.Equals(ServerEndpoint))
                Server.Engine.HandleDatagram(Now, ServerEndpoint, packet.Source, packet.Data);
            else
                foreach (Peer client in Clients.Where(c => c.Public.Equals(packet.Destination)))
                    client.Engine.HandleDatagram(Now, client.Local, ServerEndpoint, packet.Data);
        }
        return moved;
    }

    private void Put(Peer from, L2tpTransmit t)
    {
        // The NAT: a client's private source becomes its public endpoint.
        IPEndPoint source = from == Server ? t.Local : from.Public;
        var packet = new WirePacket(from.Name, source, t.Remote, t.Data) { At = Now };
        Sent.Add(packet);
        foreach (WirePacket p in Intercept?.Invoke(packet) ?? [packet]) _wire.Enqueue(p);
    }

    public static IEnumerable<T> Of<T>(IEnumerable<L2tpEvent> events) => events.OfType<T>();
}
