using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;

namespace Portcullis.Core.Tests.Esp;

/// <summary>Extended sequence numbers (RFC 4303 §2.2.1, §3.3.3, Appendix A) in the replay window and in ESP.</summary>
public class EsnTests
{
    public static TheoryData<string> Suites => EspTestData.AllSuiteData;

    private const ulong Wrap = 1UL << 32;

    [Fact]
    public void Inference_follows_appendix_A2_case_A_window_inside_one_subspace()
    {
        var w = new ReplayWindow(64);
        Assert.True(w.Commit(Wrap * 5 + 1000)); // Th = 5, Tl = 1000 ≥ W − 1
        Assert.Equal(Wrap * 5 + 1000 - 63, w.InferExtended(1000 - 63)); // the window's lowest: same subspace
        Assert.Equal(Wrap * 6 + 1000 - 64, w.InferExtended(1000 - 64)); // below the window: the next subspace
        Assert.Equal(Wrap * 5 + 5000, w.InferExtended(5000)); // ahead: same subspace
        Assert.Equal(Wrap * 5 + uint.MaxValue, w.InferExtended(uint.MaxValue));
        Assert.Equal(Wrap * 6, w.InferExtended(0)); // 0 after a wrap is a real number with ESN
    }

    [Fact]
    public void Inference_follows_appendix_A2_case_B_window_across_a_wrap()
    {
        var w = new ReplayWindow(64);
        Assert.True(w.Commit(Wrap * 5 + 10)); // Tl = 10 < W − 1: the window reaches back into subspace 4
        uint bottom = unchecked(10u - 64 + 1);
        Assert.Equal(Wrap * 4 + bottom, w.InferExtended(bottom)); // the window's lowest, before the wrap
        Assert.Equal(Wrap * 4 + uint.MaxValue, w.InferExtended(uint.MaxValue));
        Assert.Equal(Wrap * 5 + bottom - 1, w.InferExtended(bottom - 1)); // just left of the window: far ahead instead
        Assert.Equal(Wrap * 5 + 3, w.InferExtended(3));
        Assert.True(w.Check(Wrap * 4 + uint.MaxValue));
        Assert.False(w.Check(Wrap * 4 + bottom - 1));
    }

    [Fact]
    public void Before_the_first_packet_there_is_no_older_subspace()
    {
        var w = new ReplayWindow(1024);
        Assert.Equal(1UL, w.InferExtended(1));
        Assert.Equal((ulong)uint.MaxValue, w.InferExtended(uint.MaxValue));
        Assert.Equal(0UL, w.InferExtended(0));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Every_suite_carries_the_sequence_across_2_to_the_32_with_only_the_low_bits_on_the_wire(string suite)
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair(suite, esn: true);
        using (outbound)
        using (inbound)
        {
            Assert.True(outbound.ExtendedSequenceNumbers);
            byte[] inner = EspTestData.Ipv4Udp(77);
            outbound.SetLastSequenceNumber(Wrap - 3);
            var packets = new List<byte[]>();
            for (int i = 0; i < 6; i++) packets.Add(EspTestData.Encapsulate(outbound, inner));
            Assert.Equal(Wrap + 3, outbound.LastSequenceNumber);
            Assert.Equal("FFFFFFFE", Convert.ToHexString(packets[0], 4, 4));
            Assert.Equal("00000000", Convert.ToHexString(packets[2], 4, 4));
            Assert.Equal("00000003", Convert.ToHexString(packets[5], 4, 4));

            // Out of order across the wrap: the receiver learns the subspace from the first packets, then takes packets
            // after the wrap (high bits inferred one up) and before it (one down, the window straddling the wrap).
            foreach (int i in (int[])[1, 3, 0, 2, 5, 4])
            {
                Assert.Equal(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, packets[i].ToArray(), out int offset, out int length, out _));
                Assert.Equal(inner.Length, length);
            }
            Assert.Equal(Wrap + 3, inbound.ReplayWindow!.Highest);
            Assert.Equal(DecapsulateResult.Replayed, EspProcessor.Decapsulate(inbound, packets[1].ToArray(), out _, out _, out _));
        }
    }

    [Theory]
    [InlineData("aes128gcm16")]
    [InlineData("aes256-sha256")]
    public void The_high_bits_are_authenticated(string suite)
    {
        // The same packet sent by an SA without ESN, and one with ESN whose high bits are 0: identical on the wire
        // below 2^32 only where the ICV covers no high bits; with ESN they are covered (zero) and still verify.
        (EspSa plainOut, EspSa plainIn) = EspTestData.Pair(suite);
        (EspSa esnOut, EspSa esnIn) = EspTestData.Pair(suite, esn: true);
        using (plainOut) using (plainIn) using (esnOut) using (esnIn)
        {
            byte[] inner = EspTestData.Ipv4Udp(60);
            plainOut.SetLastSequenceNumber(Wrap + 9); // a non-ESN sender never gets there; here only to shape the packet
            esnOut.SetLastSequenceNumber(Wrap + 9);
            byte[] esn = EspTestData.Encapsulate(esnOut, inner);
            // Received by an SA at the same place but expecting the high bits to be 0 (no ESN): the ICV fails.
            Assert.Equal(DecapsulateResult.AuthenticationFailed, EspProcessor.Decapsulate(plainIn, esn.ToArray(), out _, out _, out _));
            // Received with ESN whose window sits in subspace 0 far behind: inferred high = 0 → fails, window unmoved.
            Assert.Equal(DecapsulateResult.AuthenticationFailed, EspProcessor.Decapsulate(esnIn, esn.ToArray(), out _, out _, out _));
            Assert.Equal(0UL, esnIn.ReplayWindow!.Highest);
        }
    }

    /// <summary>AES-128-CBC with HMAC-SHA2-256-128 under ESN, by hand: the ICV covers the packet then the high bits.</summary>
    [Fact]
    public void Hmac_icv_covers_the_high_order_bits_after_the_payload()
    {
        byte[] encKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
        byte[] macKey = Convert.FromHexString("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
        var enc = TransformRegistry.Get<EncryptionTransform>("aes128");
        var integ = TransformRegistry.Get<IntegrityTransform>("sha256");
        using var outbound = EspSa.CreateOutbound(0x1000, enc, integ, encKey, macKey, extendedSequenceNumbers: true);
        outbound.SetLastSequenceNumber(0x0000_0007_ffff_ffff);
        byte[] esp = EspTestData.Encapsulate(outbound, EspTestData.Ipv4Udp(40));
        Assert.Equal("0000100000000000", Convert.ToHexString(esp, 0, 8)); // SPI, then only the low bits: 0
        byte[] authenticated = [.. esp.AsSpan(0, esp.Length - 16), 0, 0, 0, 8];
        byte[] expected = HMACSHA256.HashData(macKey, authenticated)[..16];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(esp, esp.Length - 16, 16));
    }

    /// <summary>AES-GCM under ESN, by hand: AAD = SPI ‖ high ‖ low (RFC 4106 §5), the IV the full 64-bit number.</summary>
    [Fact]
    public void Aead_associated_data_is_spi_high_low()
    {
        byte[] key = Convert.FromHexString("feffe9928665731c6d6a8f9467308308"), salt = Convert.FromHexString("cafebabe");
        var t = TransformRegistry.Get<EncryptionTransform>("aes128gcm16");
        using var outbound = EspSa.CreateOutbound(0xa5f8, t, null, [.. key, .. salt], [], extendedSequenceNumbers: true);
        outbound.SetLastSequenceNumber(0x0000_0002_0000_0010);
        byte[] inner = EspTestData.Ipv4Udp(46); // 46 + 2 = 48: no padding
        byte[] esp = EspTestData.Encapsulate(outbound, inner);
        byte[] aad = Convert.FromHexString("0000a5f8" + "00000002" + "00000011");
        byte[] iv = Convert.FromHexString("0000000200000011");
        byte[] plaintext = [.. inner, 0, 4], ciphertext = new byte[plaintext.Length], tag = new byte[16];
        byte[] nonce = [.. salt, .. iv];
        using (var gcm = new AesGcm(key, 16)) gcm.Encrypt(nonce, plaintext, ciphertext, tag, aad);
        Assert.Equal("0000A5F800000011" + Convert.ToHexString(iv) + Convert.ToHexString(ciphertext) + Convert.ToHexString(tag), Convert.ToHexString(esp));
    }

    [Fact]
    public void With_esn_the_counter_runs_to_2_to_the_64()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes128gcm16", esn: true);
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(40);
            outbound.SetLastSequenceNumber(uint.MaxValue);
            Assert.False(outbound.IsSequenceExhausted);
            EspTestData.Encapsulate(outbound, inner);
            outbound.SetLastSequenceNumber(ulong.MaxValue - 1);
            byte[] last = EspTestData.Encapsulate(outbound, inner);
            Assert.Equal("FFFFFFFF", Convert.ToHexString(last, 4, 4));
            Assert.True(outbound.IsSequenceExhausted);
            Assert.Equal(EncapsulateResult.SequenceNumberExhausted, EspProcessor.Encapsulate(outbound, inner, new byte[2000], out _));
            Assert.Equal(1, outbound.SequenceExhaustedDrops);
        }
    }
}

public class TwoPartIntegrityTests
{
    public static TheoryData<string> Integrity => [.. TransformRegistry.All.OfType<IntegrityTransform>().Where(t => t.IvSize == 0).Select(t => t.Keyword)];

    /// <summary>The ICV of data ‖ trailer, computed without joining them, equals the ICV of the joined bytes.</summary>
    [Theory]
    [MemberData(nameof(Integrity))]
    public void Trailer_is_the_same_as_joined_data(string keyword)
    {
        var t = TransformRegistry.Get<IntegrityTransform>(keyword);
        using var mac = t.Create(EspTestData.Key(t.KeySize, 5));
        byte[] data = EspTestData.Key(100, 3);
        foreach (int length in (int[])[0, 1, 11, 12, 13, 15, 16, 17, 28, 31, 32, 33, 47, 48, 64, 100])
            foreach (int trailerLength in (int[])[0, 1, 4, 16])
            {
                byte[] trailer = EspTestData.Key(trailerLength, 9);
                byte[] joined = new byte[t.IcvSize], split = new byte[t.IcvSize];
                mac.Compute([.. data.AsSpan(0, length), .. trailer], joined);
                mac.Compute(data.AsSpan(0, length), trailer, split);
                Assert.Equal(Convert.ToHexString(joined), Convert.ToHexString(split));
                Assert.True(mac.Verify(data.AsSpan(0, length), trailer, joined));
            }
    }
}
