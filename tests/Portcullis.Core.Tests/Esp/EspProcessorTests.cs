using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Esp;

namespace Portcullis.Core.Tests.Esp;

public class EspProcessorTests
{
    private static readonly byte[] s_gcmKey = Convert.FromHexString("feffe9928665731c6d6a8f9467308308");
    private static readonly byte[] s_gcmSalt = Convert.FromHexString("cafebabe");

    /// <summary>
    /// A known answer for AES-128-GCM-16 built independently: the BCL's AesGcm over the RFC 4303/4106 layout,
    /// written out by hand here (nonce = salt ‖ IV, IV = the 64-bit sequence number, AAD = SPI ‖ seq,
    /// plaintext = payload ‖ 1 2 … ‖ pad length ‖ next header).
    /// </summary>
    [Fact]
    public void Aes_gcm_packet_matches_an_independent_construction()
    {
        byte[] inner = EspTestData.Ipv4Udp(45);
        const uint spi = 0x0000_a5f8;

        // Expected, by hand.
        // 45 + 2 = 47 → next multiple of 4 is 48: one pad byte.
        byte[] padded = [.. inner, 1, 1, 4];
        byte[] aad = [0x00, 0x00, 0xa5, 0xf8, 0x00, 0x00, 0x00, 0x01];
        byte[] iv = [0, 0, 0, 0, 0, 0, 0, 1];
        byte[] nonce = [.. s_gcmSalt, .. iv];
        byte[] ciphertext = new byte[padded.Length], tag = new byte[16];
        using (var gcm = new AesGcm(s_gcmKey, 16)) gcm.Encrypt(nonce, padded, ciphertext, tag, aad);
        byte[] expected = [.. aad, .. iv, .. ciphertext, .. tag];

        var t = TransformRegistry.Get<EncryptionTransform>("aes128gcm16");
        byte[] keyMaterial = [.. s_gcmKey, .. s_gcmSalt];
        using var outbound = EspSa.CreateOutbound(spi, t, null, keyMaterial, []);
        byte[] actual = EspTestData.Encapsulate(outbound, inner);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));

        using var inbound = EspSa.CreateInbound(spi, t, null, keyMaterial, []);
        Assert.Equal(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, expected, out int offset, out int length, out byte next));
        Assert.Equal(inner, expected.AsSpan(offset, length).ToArray());
        Assert.Equal(4, next);
    }

    /// <summary>
    /// AES-128-CBC with HMAC-SHA2-256-128 built independently (the BCL's Aes.EncryptCbc and HMACSHA256.HashData):
    /// the packet decapsulates, and the encapsulated packet verifies and decrypts the same way by hand.
    /// </summary>
    [Fact]
    public void Aes_cbc_hmac_sha256_matches_an_independent_construction()
    {
        byte[] encKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
        byte[] macKey = Convert.FromHexString("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f");
        byte[] iv = Convert.FromHexString("f0e0d0c0b0a090807060504030201000");
        byte[] inner = EspTestData.Ipv6(60, protocol: 17);
        const uint spi = 0xc0ff_ee01;
        // 60 + 2 = 62 → 64: two pad bytes.
        byte[] padded = [.. inner, 1, 2, 2, 41];
        byte[] ciphertext;
        using (var aes = Aes.Create()) { aes.Key = encKey; ciphertext = aes.EncryptCbc(padded, iv, PaddingMode.None); }
        byte[] header = [0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 7];
        byte[] authenticated = [.. header, .. iv, .. ciphertext];
        byte[] icv = HMACSHA256.HashData(macKey, authenticated)[..16];
        byte[] packet = [.. authenticated, .. icv];

        var enc = TransformRegistry.Get<EncryptionTransform>("aes128");
        var integ = TransformRegistry.Get<IntegrityTransform>("sha256");
        using var inbound = EspSa.CreateInbound(spi, enc, integ, encKey, macKey);
        Assert.Equal(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, packet, out int offset, out int length, out byte next));
        Assert.Equal(inner, packet.AsSpan(offset, length).ToArray());
        Assert.Equal(41, next);
        Assert.Equal(7UL, inbound.ReplayWindow!.Highest);

        // The other way: check ours by hand.
        using var outbound = EspSa.CreateOutbound(spi, enc, integ, encKey, macKey);
        byte[] ours = EspTestData.Encapsulate(outbound, inner);
        Assert.Equal(8 + 16 + 64 + 16, ours.Length);
        Assert.Equal(HMACSHA256.HashData(macKey, ours.AsSpan(0, ours.Length - 16))[..16], ours[^16..]);
        byte[] decrypted;
        using (var aes = Aes.Create()) { aes.Key = encKey; decrypted = aes.DecryptCbc(ours.AsSpan(24, 64), ours.AsSpan(8, 16), PaddingMode.None); }
        Assert.Equal(padded, decrypted);
        // A fresh random IV each packet.
        byte[] second = EspTestData.Encapsulate(outbound, inner);
        Assert.NotEqual(ours.AsSpan(8, 16).ToArray(), second.AsSpan(8, 16).ToArray());
    }

    [Fact]
    public void Counter_mode_uses_the_sequence_number_as_IV()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes128ctr-sha256");
        using (outbound)
        using (inbound)
        {
            outbound.SetLastSequenceNumber(0x0102_0304);
            byte[] esp = EspTestData.Encapsulate(outbound, EspTestData.Ipv4Udp(40));
            Assert.Equal("0000000001020305", Convert.ToHexString(esp, 8, 8));
            Assert.Equal(0, (esp.Length - 8 - 8 - 16) % 4);
        }
    }

    /// <summary>Seals an arbitrary ESP plaintext with the outbound SA's AEAD, as a peer with odd padding would.</summary>
    private static byte[] SealRaw(EspSa outbound, byte[] plaintext)
    {
        Assert.True(outbound.TryNextSequence(out ulong seq));
        byte[] packet = new byte[8 + 8 + plaintext.Length + outbound.IcvSize];
        BinaryPrimitives.WriteUInt32BigEndian(packet, outbound.Spi);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)seq);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(8), seq);
        outbound.Aead!.Seal(packet.AsSpan(8, 8), packet.AsSpan(0, 8), plaintext, packet.AsSpan(16, plaintext.Length), packet.AsSpan(16 + plaintext.Length));
        return packet;
    }

    [Fact]
    public void Padding_and_next_header_are_checked_after_authentication()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes256gcm16");
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(30);
            (byte[] Plaintext, DecapsulateResult Expected)[] cases =
            [
                ([.. inner, 1, 2, 3, 4, 4, 4], DecapsulateResult.Ok), // more padding than needed is allowed (up to 255)
                ([.. inner, 1, 2, 3, 5, 4, 4], DecapsulateResult.BadPadding), // a wrong pad byte
                ([.. inner, 0, 0, 2, 4], DecapsulateResult.BadPadding), // zero padding
                ([.. inner[..2], 200, 4], DecapsulateResult.BadPadding), // pad length past the payload
                ([.. inner, 1, 2, 2, 59], DecapsulateResult.DummyPacket),
                ([.. inner, 1, 2, 2, 17], DecapsulateResult.UnsupportedNextHeader),
                ([0, 4], DecapsulateResult.Ok), // empty payload, no padding: decapsulates (the policy check rejects it)
            ];
            foreach ((byte[] plaintext, DecapsulateResult expected) in cases)
            {
                byte[] packet = SealRaw(outbound, plaintext);
                DecapsulateResult result = EspProcessor.Decapsulate(inbound, packet, out int offset, out int length, out _);
                Assert.Equal(expected, result);
                if (result == DecapsulateResult.Ok)
                    Assert.Equal(plaintext.AsSpan(0, plaintext.Length - 2 - plaintext[^2]).ToArray(), packet.AsSpan(offset, length).ToArray());
                // Authentic packets move the window whatever their padding says.
                Assert.Equal(outbound.LastSequenceNumber, inbound.ReplayWindow!.Highest);
            }
            Assert.Equal(3, inbound.PaddingErrors);
            Assert.Equal(1, inbound.DummyPackets);
            Assert.False(inbound.MatchesInbound([]));
            Assert.Equal(1, inbound.PolicyViolations);
        }
    }

    [Fact]
    public void The_sequence_number_never_cycles()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("chacha20poly1305");
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(40);
            outbound.SetLastSequenceNumber(uint.MaxValue - 1);
            Assert.False(outbound.IsSequenceExhausted);
            byte[] last = EspTestData.Encapsulate(outbound, inner);
            Assert.Equal("FFFFFFFF", Convert.ToHexString(last, 4, 4));
            Assert.True(outbound.IsSequenceExhausted);
            byte[] output = new byte[2000];
            Assert.Equal(EncapsulateResult.SequenceNumberExhausted, EspProcessor.Encapsulate(outbound, inner, output, out int written));
            Assert.Equal(0, written);
            Assert.Equal(EncapsulateResult.SequenceNumberExhausted, EspProcessor.Encapsulate(outbound, inner, output, out _));
            Assert.Equal(2, outbound.SequenceExhaustedDrops);
            Assert.Equal((ulong)uint.MaxValue, outbound.LastSequenceNumber);
            Assert.Equal(DecapsulateResult.Ok, EspProcessor.Decapsulate(inbound, last, out _, out _, out _));
        }
    }

    [Fact]
    public void Encapsulate_refuses_what_it_cannot_carry_without_taking_a_sequence_number()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes128-sha1");
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(100);
            int needed = EspProcessor.GetEncapsulatedLength(outbound, inner.Length);
            Assert.Equal(8 + 16 + 112 + 12, needed);
            Assert.Equal(EncapsulateResult.OutputTooSmall, EspProcessor.Encapsulate(outbound, inner, new byte[needed - 1], out _));
            Assert.Equal(EncapsulateResult.InvalidInnerPacket, EspProcessor.Encapsulate(outbound, [], new byte[100], out _));
            Assert.Equal(EncapsulateResult.InvalidInnerPacket, EspProcessor.Encapsulate(outbound, [0x50, 0, 0, 0], new byte[100], out _));
            Assert.Equal(EncapsulateResult.UnusableSa, EspProcessor.Encapsulate(inbound, inner, new byte[needed], out _));
            Assert.Equal(0UL, outbound.LastSequenceNumber);
            byte[] esp = new byte[needed];
            Assert.Equal(DecapsulateResult.UnusableSa, EspProcessor.Decapsulate(outbound, esp, out _, out _, out _));
            outbound.Dispose();
            Assert.Equal(EncapsulateResult.UnusableSa, EspProcessor.Encapsulate(outbound, inner, new byte[needed], out _));
        }
    }

    [Fact]
    public void Replay_through_decapsulation_duplicates_old_and_out_of_order()
    {
        (EspSa outbound, EspSa inbound) = EspTestData.Pair("aes128gcm16", window: 64);
        using (outbound)
        using (inbound)
        {
            byte[] inner = EspTestData.Ipv4Udp(40);
            byte[][] sent = [.. Enumerable.Range(0, 200).Select(_ => EspTestData.Encapsulate(outbound, inner))];
            DecapsulateResult Receive(int seq) => EspProcessor.Decapsulate(inbound, (byte[])sent[seq - 1].Clone(), out _, out _, out _);

            Assert.Equal(DecapsulateResult.Ok, Receive(10));
            Assert.Equal(DecapsulateResult.Replayed, Receive(10));
            Assert.Equal(DecapsulateResult.Ok, Receive(3)); // out of order, inside the window
            Assert.Equal(DecapsulateResult.Replayed, Receive(3));
            Assert.Equal(DecapsulateResult.Ok, Receive(150)); // slide
            Assert.Equal(DecapsulateResult.Replayed, Receive(86)); // 150 − 64: just left of the window
            Assert.Equal(DecapsulateResult.Ok, Receive(87)); // the oldest still inside
            Assert.Equal(DecapsulateResult.Ok, Receive(149));
            Assert.Equal(DecapsulateResult.Replayed, Receive(10));

            // A forged packet far ahead must not slide the window.
            byte[] forged = (byte[])sent[199].Clone();
            forged[^1] ^= 1;
            Assert.Equal(DecapsulateResult.AuthenticationFailed, EspProcessor.Decapsulate(inbound, forged, out _, out _, out _));
            Assert.Equal(150UL, inbound.ReplayWindow!.Highest);
            Assert.Equal(DecapsulateResult.Ok, Receive(100));
            Assert.Equal(DecapsulateResult.Ok, Receive(200));
            Assert.Equal(4, inbound.ReplayDrops);
            Assert.Equal(1, inbound.AuthenticationFailures);
        }
    }

    [Fact]
    public void Sa_creation_checks_its_arguments()
    {
        var gcm = TransformRegistry.Get<EncryptionTransform>("aes128gcm16");
        var cbc = TransformRegistry.Get<EncryptionTransform>("aes128");
        var sha = TransformRegistry.Get<IntegrityTransform>("sha256");
        Assert.Throws<ArgumentException>(() => EspSa.CreateOutbound(1000, gcm, sha, new byte[20], new byte[32]));
        Assert.Throws<ArgumentException>(() => EspSa.CreateOutbound(1000, cbc, null, new byte[16], []));
        Assert.Throws<ArgumentException>(() => EspSa.CreateOutbound(1000, cbc, sha, new byte[15], new byte[32]));
        Assert.Throws<ArgumentOutOfRangeException>(() => EspSa.CreateOutbound(255, gcm, null, new byte[20], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => EspSa.CreateInbound(1000, gcm, null, new byte[20], [], replayWindow: 0));
    }
}
