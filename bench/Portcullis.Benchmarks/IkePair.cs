using System.Runtime.InteropServices;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;

namespace Portcullis.Benchmarks;

/// <summary>
/// An initiator engine and a responder engine wired back to back in-process (sans-IO: no sockets, no timers), with
/// <c>count</c> initiator connections (own name, identity and CHILD SA each, as separate remote-access clients would
/// be) and one responder connection that accepts any of them with one PSK. The time and bytes allocated inside the
/// responder's <see cref="IkeEngine.HandleDatagram"/> calls are added up separately, so the responder's cost per
/// setup can be told from the initiator's.
/// </summary>
internal sealed class IkePair
{
    private static readonly IPAddress s_initiatorAddress = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress s_responderAddress = IPAddress.Parse("192.0.2.2");

    private readonly Queue<(bool ToResponder, IkeTransmit Transmit)> _wire = new();

    public IkePair(string ikeProposal, int count, bool clientPerSetup = false)
    {
        _ikeProposal = ikeProposal;
        _clientPerSetup = clientPerSetup;
        var initiatorConnections = new List<ConnectionConfig>(clientPerSetup ? 1 : count);
        for (int i = 0; i < (clientPerSetup ? 1 : count); i++) initiatorConnections.Add(Connection(initiator: true, ikeProposal, i));
        Initiator = new IkeEngine(Config(initiatorConnections), new IkeEngineOptions(), NullLogger.Instance);
        Responder = new IkeEngine(Config([Connection(initiator: false, ikeProposal, 0)]), new IkeEngineOptions(), NullLogger.Instance);
    }

    private readonly string _ikeProposal;
    private readonly bool _clientPerSetup;

    public IkeEngine Initiator { get; private set; }

    public IkeEngine Responder { get; }

    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>CPU time this thread spent inside the responder (CLOCK_THREAD_CPUTIME_ID: other processes on a shared machine do not count).</summary>
    public long ResponderCpuNanoseconds { get; private set; }

    /// <summary>Bytes the responder allocated (this thread).</summary>
    public long ResponderAllocated { get; private set; }

    /// <summary>CHILD SAs the responder reported installed.</summary>
    public int ResponderChildren { get; private set; }

    /// <summary>Disposes the initiator's SAs (their native contexts) and drops it, so that what stays allocated is the responder's.</summary>
    public void DropInitiator()
    {
        foreach (IkeSa sa in Initiator.IkeSas) sa.Dispose();
        Initiator = null!;
    }

    /// <summary>Sets up IKE SA + CHILD SA number <paramref name="index"/> (IKE_SA_INIT, IKE_AUTH) and drives both to quiet.</summary>
    /// <remarks>
    /// With <c>clientPerSetup</c> each setup has its own initiator engine (a separate client), disposed once its SA is
    /// up, so that what the process holds afterwards is the responder's alone.
    /// </remarks>
    public void Establish(int index)
    {
        if (_clientPerSetup && index > 0)
        {
            foreach (IkeSa sa in Initiator.IkeSas) sa.Dispose();
            Initiator = new IkeEngine(Config([Connection(initiator: true, _ikeProposal, index)]), new IkeEngineOptions(), NullLogger.Instance);
        }
        if (!Initiator.Initiate(Now, ChildName(index), out string? error)) throw new InvalidOperationException(error);
        Pump();
    }

    /// <summary>Moves datagrams until both engines are quiet.</summary>
    public void Pump()
    {
        Collect();
        while (_wire.TryDequeue(out var item))
        {
            IkeTransmit t = item.Transmit;
            if (item.ToResponder)
            {
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                long start = ThreadCpuNanoseconds();
                Responder.HandleDatagram(Now, t.Remote, t.Local, t.Data);
                ResponderCpuNanoseconds += ThreadCpuNanoseconds() - start;
                ResponderAllocated += GC.GetAllocatedBytesForCurrentThread() - allocated;
            }
            else
            {
                Initiator.HandleDatagram(Now, t.Remote, t.Local, t.Data);
            }
            Collect();
        }
    }

    private void Collect()
    {
        while (Initiator.TryDequeueEvent(out _)) { }
        while (Responder.TryDequeueEvent(out IkeEvent? e))
            if (e is ChildSaInstalled) ResponderChildren++;
        while (Initiator.TryDequeueTransmit(out IkeTransmit? t)) _wire.Enqueue((true, t!));
        while (Responder.TryDequeueTransmit(out IkeTransmit? t)) _wire.Enqueue((false, t!));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>This thread's CPU time (Linux CLOCK_THREAD_CPUTIME_ID = 3).</summary>
    public static long ThreadCpuNanoseconds()
    {
        ClockGetTime(3, out TimeSpec t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    private static string ChildName(int index) => $"c{index}";

    private static PortcullisConfig Config(List<ConnectionConfig> connections) => new()
    {
        Connections = connections,
        Secrets = [new SharedSecret { Name = "bench", Secret = "bench pre-shared key, 32 bytes.."u8.ToArray() }],
    };

    private static ConnectionConfig Connection(bool initiator, string ikeProposal, int index)
    {
        var child = new ChildConfig
        {
            Name = ChildName(index),
            Location = new SourceLocation("bench", 1),
            // Each client its own inner address, as a remote-access pool would give.
            LocalTs = [initiator ? Ts($"198.18.{index >> 8 & 0xFF}.{index & 0xFF}/32") : Ts("198.19.0.0/16")],
            RemoteTs = [initiator ? Ts("198.19.0.0/16") : Ts("198.18.0.0/16")],
            EspProposals = Proposals("aes128gcm16", ProposalKind.Esp),
        };
        return new ConnectionConfig
        {
            Name = initiator ? $"t{index}" : "gateway",
            Location = new SourceLocation("bench", 1),
            LocalAddrs = [initiator ? "192.0.2.1" : "192.0.2.2"],
            RemoteAddrs = initiator ? ["192.0.2.2"] : [],
            Proposals = Proposals(ikeProposal, ProposalKind.Ike),
            Local = new AuthConfig { Auth = "psk", Id = Id(initiator ? $"@client{index}.example" : "@gateway.example") },
            Remote = new AuthConfig { Auth = "psk", Id = initiator ? Id("@gateway.example") : null },
            Children = [child],
        };
    }

    private static IReadOnlyList<Proposal> Proposals(string text, ProposalKind kind)
    {
        (IReadOnlyList<Proposal> proposals, IReadOnlyList<string> errors) = ProposalParser.Parse(text, kind);
        return errors.Count == 0 ? proposals : throw new ArgumentException(string.Join("; ", errors));
    }

    private static TrafficSelector Ts(string text) =>
        TrafficSelector.TryParse(text, out TrafficSelector ts, out string? error) ? ts : throw new ArgumentException(error);

    private static Identity Id(string text) =>
        Identity.TryParse(text, out Identity? id, out string? error) ? id! : throw new ArgumentException(error);
}
