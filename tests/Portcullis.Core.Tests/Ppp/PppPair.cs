using System.Net;
using System.Text;
using Portcullis.Core.Ppp;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>Which session sent a frame.</summary>
public enum PppSide { Server, Client }

/// <summary>A frame on the simulated L2TP session, with who sent it and when.</summary>
public sealed record WireFrame(PppSide From, byte[] Data, DateTimeOffset At);

/// <summary>
/// Random bytes for tests: a counter from a seed, except that 16-byte requests (challenges) take the queued values
/// first, so RFC vectors can be played through a session.
/// </summary>
public sealed class ScriptedRandom(byte seed)
{
    private byte _counter = seed;

    public Queue<byte[]> Challenges { get; } = new();

    public void Fill(Span<byte> into)
    {
        if (into.Length == 16 && Challenges.TryDequeue(out byte[]? challenge))
        {
            challenge.CopyTo(into);
            return;
        }
        for (int i = 0; i < into.Length; i++) into[i] = ++_counter;
    }
}

/// <summary>
/// A PPP server and client back to back over a simulated L2TP session with a fake clock. <see cref="Drive"/> moves
/// frames until both are quiet, then advances the clock to the next timeout, within a time budget. A hook can drop
/// or duplicate frames; every frame sent is kept in <see cref="Wire"/> for checks (tshark among them).
/// </summary>
public sealed class PppPair : IDisposable
{
    public static readonly IPAddress ServerAddress = IPAddress.Parse("198.18.0.1");
    public static readonly IPAddress ClientAddress = IPAddress.Parse("198.18.101.5");
    public static readonly IPAddress Dns1 = IPAddress.Parse("198.18.0.53");
    public static readonly IPAddress Dns2 = IPAddress.Parse("198.18.0.54");

    public static readonly Dictionary<string, byte[]> Users = new()
    {
        ["alice"] = "correct horse"u8.ToArray(),
        [@"EXAMPLE\carol"] = "carol's pw"u8.ToArray(),
        ["User"] = "clientPass"u8.ToArray(),
    };

    public PppPair(Func<PppOptions, PppOptions>? server = null, Func<PppOptions, PppOptions>? client = null)
    {
        ServerRandom = new ScriptedRandom(0x10);
        ClientRandom = new ScriptedRandom(0x80);
        var serverOptions = new PppOptions
        {
            Role = PppRole.Server,
            Name = "srv",
            FindPassword = name =>
            {
                Lookups.Add(name);
                return Users.GetValueOrDefault(name);
            },
            LocalAddress = ServerAddress,
            AssignPeerAddress = user =>
            {
                Assignments.Add(user);
                return ClientAddress;
            },
            Dns = [Dns1, Dns2],
            Random = ServerRandom.Fill,
        };
        var clientOptions = new PppOptions
        {
            Role = PppRole.Client,
            Name = "cli",
            UserName = "alice",
            Password = "correct horse"u8.ToArray(),
            AuthenticationProtocols = [PppAuthenticationProtocol.MsChapV2, PppAuthenticationProtocol.ChapMd5, PppAuthenticationProtocol.Pap],
            Random = ClientRandom.Fill,
        };
        ServerLog = new CapturingLogger("server");
        ClientLog = new CapturingLogger("client");
        Server = new PppSession(server is null ? serverOptions : server(serverOptions), ServerLog);
        Client = new PppSession(client is null ? clientOptions : client(clientOptions), ClientLog);
    }

    public static PppOptions WithPassword(PppOptions options, string password) => options with { Password = Encoding.UTF8.GetBytes(password) };

    public DateTimeOffset Start { get; } = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public PppSession Server { get; }
    public PppSession Client { get; }
    public CapturingLogger ServerLog { get; }
    public CapturingLogger ClientLog { get; }
    public ScriptedRandom ServerRandom { get; }
    public ScriptedRandom ClientRandom { get; }

    /// <summary>Names the server looked up, and the users it asked an address for.</summary>
    public List<string> Lookups { get; } = [];
    public List<string> Assignments { get; } = [];

    public List<PppEvent> ServerEvents { get; } = [];
    public List<PppEvent> ClientEvents { get; } = [];

    /// <summary>Every frame sent, in order, before the hook.</summary>
    public List<WireFrame> Wire { get; } = [];

    /// <summary>IP packets each side's data path took (TryGetIpPacket), copied.</summary>
    public List<byte[]> ServerReceivedIp { get; } = [];
    public List<byte[]> ClientReceivedIp { get; } = [];

    /// <summary>How many copies of a frame reach the other side (0: lost, 2: duplicated); default 1.</summary>
    public Func<WireFrame, int>? Copies { get; set; }

    public void StartBoth()
    {
        Server.Start(Now);
        Client.Start(Now);
    }

    /// <summary>Moves frames until quiet, then runs timeouts, until <paramref name="until"/> holds or the budget is spent.</summary>
    public void Drive(TimeSpan? budget = null, Func<bool>? until = null)
    {
        DateTimeOffset end = Now + (budget ?? TimeSpan.FromSeconds(20));
        for (int guard = 0; guard < 100_000; guard++)
        {
            if (Pump()) continue;
            if (until?.Invoke() == true) return;
            DateTimeOffset? next = Min(Server.NextTimeout, Client.NextTimeout);
            if (next is null || next > end)
            {
                Now = end > Now ? end : Now;
                return;
            }
            if (next > Now) Now = next.Value;
            Server.HandleTimeout(Now);
            Client.HandleTimeout(Now);
        }
        throw new InvalidOperationException("PPP pair did not settle");
    }

    /// <summary>Moves every queued frame once; true if any moved.</summary>
    public bool Pump()
    {
        bool moved = false;
        moved |= Move(Server, PppSide.Server, Client, ClientReceivedIp);
        moved |= Move(Client, PppSide.Client, Server, ServerReceivedIp);
        Collect();
        return moved;
    }

    private bool Move(PppSession from, PppSide side, PppSession to, List<byte[]> receivedIp)
    {
        bool moved = false;
        while (from.TryDequeueFrame(out byte[] frame))
        {
            moved = true;
            var wire = new WireFrame(side, frame, Now);
            Wire.Add(wire);
            int copies = Copies?.Invoke(wire) ?? 1;
            for (int i = 0; i < copies; i++) Deliver(to, frame, receivedIp);
        }
        return moved;
    }

    /// <summary>What the lead's data path does with a frame: IP to the TUN device, the rest to the session.</summary>
    public void Deliver(PppSession to, byte[] frame, List<byte[]> receivedIp)
    {
        if (to.TryGetIpPacket(frame, out ReadOnlySpan<byte> ip)) receivedIp.Add(ip.ToArray());
        else to.HandleFrame(Now, frame);
    }

    /// <summary>Sends an IP packet from one side the way the lead will (WrapIpPacket into a buffer).</summary>
    public void SendIp(PppSide from, byte[] ip)
    {
        var buffer = new byte[PppSession.IpFrameOverhead + ip.Length];
        int length = PppSession.WrapIpPacket(ip, buffer);
        var wire = new WireFrame(from, buffer[..length], Now);
        Wire.Add(wire);
        if (from == PppSide.Client) Deliver(Server, wire.Data, ServerReceivedIp);
        else Deliver(Client, wire.Data, ClientReceivedIp);
    }

    public void Collect()
    {
        while (Server.TryDequeueEvent(out PppEvent e)) ServerEvents.Add(e);
        while (Client.TryDequeueEvent(out PppEvent e)) ClientEvents.Add(e);
    }

    public bool BothUp => Server.IsNetworkUp && Client.IsNetworkUp;

    public bool BothFinished => Server.IsFinished && Client.IsFinished;

    /// <summary>Starts both and drives until IPCP is open on both sides (or the budget is spent).</summary>
    public void Establish(TimeSpan? budget = null)
    {
        StartBoth();
        Drive(budget, () => BothUp);
    }

    public T Single<T>(PppSide side) where T : PppEvent =>
        Assert.Single((side == PppSide.Server ? ServerEvents : ClientEvents).OfType<T>());

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    public override string ToString() => $"server:\n{ServerLog}\nclient:\n{ClientLog}";

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
    }
}
