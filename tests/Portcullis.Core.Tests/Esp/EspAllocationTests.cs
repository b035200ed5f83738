using Portcullis.Core.Esp;
using Xunit.Abstractions;

namespace Portcullis.Core.Tests.Esp;

/// <summary>
/// Per-packet processing must not allocate: after a warm-up, a loop of SPD lookup, encapsulate, SAD lookup,
/// decapsulate and inbound policy check allocates zero bytes on this thread, for every suite in the registry (every
/// transform keeps a native context per SA: EvpAead, AesCcmAead, EvpCipher, AesCbcMac, and the BCL's HMAC).
/// A correctness check, not a timing test.
/// </summary>
public class EspAllocationTests(ITestOutputHelper output)
{
    public static TheoryData<string> Suites => EspTestData.AllSuiteData;

    /// <summary>The bytes allocated by each of <paramref name="rounds"/> loops of <paramref name="iterations"/> packets after a warm-up.</summary>
    private static long[] AllocatedPerLoop(string suite, int iterations, int rounds)
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair(suite);
        using (outbound)
        using (inbound)
        {
            var spd = new SecurityPolicyDatabase();
            spd.Add(new SecurityPolicy([Ipsec.TrafficSelector.AnyV4], [Ipsec.TrafficSelector.AnyV4], outbound));
            var sad = new SecurityAssociationDatabase();
            sad.TryAdd(inbound);
            byte[] inner = EspTestData.Ipv4Udp(1400);
            byte[] wire = new byte[2048];

            void Run(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    EspSa sa = (EspSa)spd.Lookup(inner)!.OutboundSa!;
                    if (EspProcessor.Encapsulate(sa, inner, wire, out int written) != EncapsulateResult.Ok) throw new InvalidOperationException("encapsulate");
                    Span<byte> packet = wire.AsSpan(0, written);
                    EspSa rx = sad.Lookup(packet)!;
                    if (EspProcessor.Decapsulate(rx, packet, out int offset, out int length, out _) != DecapsulateResult.Ok) throw new InvalidOperationException("decapsulate");
                    if (!rx.MatchesInbound(packet.Slice(offset, length))) throw new InvalidOperationException("policy");
                }
            }

            Run(50);
            long[] bytes = new long[rounds];
            for (int r = 0; r < rounds; r++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                Run(iterations);
                bytes[r] = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            return bytes;
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Per_packet_processing_allocates_nothing(string suite)
    {
        // A per-packet allocation shows in every round; a one-off inside the runtime while the whole suite runs (a
        // method's tier-up, seen once in a full run of the suite) shows in one round at most, so one clean round of three is required.
        const int packets = 200;
        long[] bytes = AllocatedPerLoop(suite, packets, rounds: 3);
        output.WriteLine($"{suite}: {string.Join(", ", bytes)} bytes in three rounds of {packets} packets");
        Assert.Contains(0L, bytes);
    }
}
