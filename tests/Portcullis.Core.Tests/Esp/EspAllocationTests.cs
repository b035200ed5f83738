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

    private static long AllocatedPerLoop(string suite, int iterations)
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
                    EspSa sa = spd.Lookup(inner)!.OutboundSa!;
                    if (EspProcessor.Encapsulate(sa, inner, wire, out int written) != EncapsulateResult.Ok) throw new InvalidOperationException("encapsulate");
                    Span<byte> packet = wire.AsSpan(0, written);
                    EspSa rx = sad.Lookup(packet)!;
                    if (EspProcessor.Decapsulate(rx, packet, out int offset, out int length, out _) != DecapsulateResult.Ok) throw new InvalidOperationException("decapsulate");
                    if (!rx.MatchesInbound(packet.Slice(offset, length))) throw new InvalidOperationException("policy");
                }
            }

            Run(50);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(iterations);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Per_packet_processing_allocates_nothing(string suite)
    {
        const int packets = 200;
        long bytes = AllocatedPerLoop(suite, packets);
        output.WriteLine($"{suite}: {bytes} bytes over {packets} packets ({bytes / packets} per packet)");
        Assert.Equal(0, bytes);
    }
}
