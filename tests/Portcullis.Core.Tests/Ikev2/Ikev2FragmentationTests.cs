using System.Buffers.Binary;
using System.Net.Sockets;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using static Portcullis.Core.Tests.Ikev2.EnginePair;
using static Portcullis.Core.Tests.Ikev2.Ikev2EstablishTests;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>RFC 7383: the SKF payload, splitting, reassembly with its limits, and fragmented exchanges between two engines.</summary>
public class Ikev2FragmentationTests
{
    // ---- helpers ----

    /// <summary>Both directions' protection of one IKE SA, keyed with fixed bytes: (initiator, responder).</summary>
    private static (EncryptedPayload Initiator, EncryptedPayload Responder) Keys(string encryption, string? integrity)
    {
        var enc = TransformRegistry.Get<EncryptionTransform>(encryption);
        IntegrityTransform? integ = integrity is null ? null : TransformRegistry.Get<IntegrityTransform>(integrity);
        byte[] ki = Enumerable.Range(1, enc.KeyMaterialSize).Select(i => (byte)i).ToArray();
        byte[] kr = Enumerable.Range(101, enc.KeyMaterialSize).Select(i => (byte)i).ToArray();
        byte[] ai = Enumerable.Repeat((byte)3, integ?.KeySize ?? 0).ToArray(), ar = Enumerable.Repeat((byte)5, integ?.KeySize ?? 0).ToArray();
        return (new EncryptedPayload(enc, integ, ki, ai, kr, ar), new EncryptedPayload(enc, integ, kr, ar, ki, ai));
    }

    private static IkeHeader Header(uint messageId = 1, ExchangeType exchange = ExchangeType.IkeAuth) =>
        new(0x0102030405060708, 0x1112131415161718, PayloadType.None, IkeHeader.Ikev2Version, exchange, IkeHeaderFlags.Initiator, messageId, 0);

    private static IkeHeader Parse(byte[] message)
    {
        Assert.True(IkeHeader.TryParse(message, out IkeHeader h, out ParseError error), error.ToString());
        return h;
    }

    private static byte[] Chain(IReadOnlyList<Payload> payloads)
    {
        var bytes = new byte[Payload.ChainLength(payloads)];
        Payload.WriteChain(payloads, bytes);
        return bytes;
    }

    /// <summary>A fragment with chosen numbers, protected with <paramref name="keys"/>.</summary>
    private static byte[] Fragment(EncryptedPayload keys, ushort number, ushort total, byte[] content, uint messageId = 1) =>
        EncryptedFragmentPayload.Write(Header(messageId), number, total, number == 1 ? PayloadType.Notify : PayloadType.None, content, keys);

    public static TheoryData<string, string?> Suites() => new()
    {
        { "aes128gcm16", null },
        { "chacha20poly1305", null },
        { "aes256", "sha256" },
        { "aes128", "sha1" },
    };

    // ---- the SKF payload ----

    [Theory]
    [MemberData(nameof(Suites))]
    public void Skf_round_trips_and_protects_its_fragment_fields(string encryption, string? integrity)
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys(encryption, integrity);
        using EncryptedPayload initiator = i, responder = r;
        byte[] content = Enumerable.Range(0, 77).Select(b => (byte)b).ToArray();
        byte[] message = EncryptedFragmentPayload.Write(Header(), 2, 3, PayloadType.None, content, initiator);

        IkeHeader h = Parse(message);
        Assert.Equal(PayloadType.EncryptedFragment, h.NextPayload);
        Assert.Equal((uint)message.Length, h.Length);
        Assert.True(EncryptedFragmentPayload.TryParse(message, h, out EncryptedFragmentPayload f, out ParseError error), error.ToString());
        Assert.Equal((ushort)2, f.FragmentNumber);
        Assert.Equal((ushort)3, f.TotalFragments);
        Assert.Equal(PayloadType.None, f.NextPayload);
        Assert.Equal(IkeHeader.Size, f.PayloadOffset);
        Assert.Equal(message.Length - IkeHeader.Size, f.PayloadLength);
        Assert.True(f.TryUnprotect(message, responder, out byte[] opened, out error), error.ToString());
        Assert.Equal(content, opened);
        // The other direction's keys do not open it.
        Assert.False(f.TryUnprotect(message, initiator, out _, out error));
        Assert.Equal("Integrity Checksum Data", error.Field);

        // Fragment Number and Total Fragments are covered by the checksum (RFC 7383 §2.5): 2/3 changed to 1/3 or 2/2 fails.
        foreach ((int at, byte flip) in new[] { (33, (byte)3), (35, (byte)1) })
        {
            byte[] t = (byte[])message.Clone();
            t[at] ^= flip;
            Assert.True(EncryptedFragmentPayload.TryParse(t, h, out EncryptedFragmentPayload tf, out error), error.ToString());
            Assert.False(tf.TryUnprotect(t, responder, out _, out error));
            Assert.Equal("Integrity Checksum Data", error.Field);
        }
        // So is every other byte, header included (the message ID here).
        for (int at = 0; at < message.Length; at += 5)
        {
            if (at is 24 or 25 or 26 or 27) continue; // Length: caught by the parser instead
            byte[] t = (byte[])message.Clone();
            t[at] ^= 0x40;
            if (IkeHeader.TryParse(t, out IkeHeader th, out _) && EncryptedFragmentPayload.TryParse(t, th, out EncryptedFragmentPayload tf, out _))
                Assert.False(tf.TryUnprotect(t, responder, out _, out _), $"byte {at} changed and still verifies");
        }
    }

    [Fact]
    public void Skf_of_the_first_fragment_names_the_first_inner_payload()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes128gcm16", null);
        using EncryptedPayload initiator = i, responder = r;
        byte[] message = EncryptedFragmentPayload.Write(Header(), 1, 2, PayloadType.IdInitiator, [1, 2, 3], initiator);
        Assert.Equal((byte)PayloadType.IdInitiator, message[IkeHeader.Size]);
        Assert.Equal(0, message[IkeHeader.Size + 1]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(IkeHeader.Size + 4)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(IkeHeader.Size + 6)));
    }

    /// <summary>Writes Fragment Number and Total Fragments into a built fragment (its checksum no longer matches).</summary>
    private static byte[] WithNumbers(byte[] message, ushort number, ushort total)
    {
        byte[] t = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(IkeHeader.Size + 4), number);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(IkeHeader.Size + 6), total);
        return t;
    }

    [Theory]
    [InlineData(0, 3, "Fragment Number")]
    [InlineData(4, 3, "Fragment Number")]
    [InlineData(1, 0, "Total Fragments")]
    [InlineData(0, 0, "Total Fragments")]
    public void Skf_with_impossible_numbers_is_refused_before_decryption(int number, int total, string field)
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes128gcm16", null);
        using EncryptedPayload initiator = i, responder = r;
        byte[] message = WithNumbers(Fragment(initiator, 1, 3, [1, 2, 3]), (ushort)number, (ushort)total);
        Assert.False(EncryptedFragmentPayload.TryParse(message, Parse(message), out _, out ParseError error));
        Assert.Equal(field, error.Field);
        var reassembler = new FragmentReassembler(64, 10000);
        Assert.Equal(FragmentStatus.Malformed, reassembler.Add(message, Parse(message), responder, out _, out _));
        Assert.Null(reassembler.MessageId);
    }

    [Fact]
    public void Truncated_skf_is_refused_at_every_length()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes256", "sha256");
        using EncryptedPayload initiator = i, responder = r;
        byte[] message = Fragment(initiator, 1, 2, Enumerable.Repeat((byte)7, 40).ToArray());
        for (int n = IkeHeader.Size; n < message.Length; n++)
        {
            // Cut, with the header's Length fixed up so that only the SKF parser can notice.
            byte[] t = message[..n];
            BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(24), (uint)n);
            IkeHeader h = Parse(t);
            if (EncryptedFragmentPayload.TryParse(t, h, out EncryptedFragmentPayload f, out ParseError error))
                Assert.False(f.TryUnprotect(t, responder, out _, out error), $"{n} bytes opened");
            Assert.NotEqual("", error.Field);
            Assert.NotEqual(FragmentStatus.Stored, new FragmentReassembler(64, 10000).Add(t, h, responder, out _, out _));
        }
        // A Payload Length that disagrees with the message, and a header naming another payload.
        byte[] longer = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(IkeHeader.Size + 2), (ushort)(message.Length - IkeHeader.Size + 1));
        Assert.False(EncryptedFragmentPayload.TryParse(longer, Parse(longer), out _, out ParseError lengthError));
        Assert.Equal("Encrypted Fragment Payload Length", lengthError.Field);
        Assert.False(EncryptedFragmentPayload.TryParse(message, Parse(message) with { NextPayload = PayloadType.Encrypted }, out _, out _));
    }

    [Fact]
    public void Skf_with_a_bad_icv_is_refused_and_changes_nothing_kept()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes128gcm16", null);
        using EncryptedPayload initiator = i, responder = r;
        var reassembler = new FragmentReassembler(64, 10000);
        byte[] first = Fragment(initiator, 1, 2, [1, 2, 3]);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(first, Parse(first), responder, out _, out _));
        byte[] second = Fragment(initiator, 2, 2, [4, 5]);
        byte[] forged = (byte[])second.Clone();
        forged[^1] ^= 1;
        Assert.Equal(FragmentStatus.IntegrityCheckFailed, reassembler.Add(forged, Parse(forged), responder, out _, out ParseError error));
        Assert.Equal("Integrity Checksum Data", error.Field);
        // A forged fragment of a newer message or with more fragments does not displace the genuine one either.
        byte[] newer = Fragment(initiator, 1, 5, [9], messageId: 2);
        newer[^1] ^= 1;
        Assert.Equal(FragmentStatus.IntegrityCheckFailed, reassembler.Add(newer, Parse(newer), responder, out _, out _));
        Assert.Equal(1u, reassembler.MessageId);
        Assert.Equal(1, reassembler.StoredFragments);
        Assert.Equal(FragmentStatus.Complete, reassembler.Add(second, Parse(second), responder, out ReassembledMessage? whole, out _));
        Assert.Equal([1, 2, 3, 4, 5], whole!.Content);
        Assert.Equal(PayloadType.Notify, whole.FirstInner);
    }

    // ---- splitting ----

    [Theory]
    [InlineData(1280, AddressFamily.InterNetwork, false, 1252)]
    [InlineData(1280, AddressFamily.InterNetwork, true, 1248)]
    [InlineData(1280, AddressFamily.InterNetworkV6, true, 1228)]
    [InlineData(0, AddressFamily.InterNetwork, false, 548)]
    [InlineData(0, AddressFamily.InterNetworkV6, false, 1232)]
    public void Fragment_size_counts_ip_udp_and_the_non_esp_marker(int fragmentSize, AddressFamily family, bool marker, int expected) =>
        Assert.Equal(expected, IkeFragmentation.MaxMessageSize(fragmentSize, family, marker));

    [Theory]
    [MemberData(nameof(Suites))]
    public void Split_fragments_fit_and_reassemble_in_any_order(string encryption, string? integrity)
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys(encryption, integrity);
        using EncryptedPayload initiator = i, responder = r;
        Payload[] payloads = Ikev2WireTests.Samples().ToArray();
        byte[] inner = Chain(payloads);
        const int max = 200;
        IReadOnlyList<byte[]> fragments = IkeFragmentation.Split(Header(), payloads, initiator, max)!;
        Assert.True(fragments.Count >= inner.Length / max, $"{fragments.Count} fragments for {inner.Length} bytes");
        for (int n = 0; n < fragments.Count; n++)
        {
            byte[] f = fragments[n];
            Assert.True(f.Length <= max, $"fragment {n + 1} has {f.Length} bytes");
            IkeHeader h = Parse(f);
            Assert.Equal(Header() with { NextPayload = PayloadType.EncryptedFragment, Length = (uint)f.Length }, h);
            Assert.True(EncryptedFragmentPayload.TryParse(f, h, out EncryptedFragmentPayload skf, out _));
            Assert.Equal(n + 1, skf.FragmentNumber);
            Assert.Equal(fragments.Count, skf.TotalFragments);
            Assert.Equal(n == 0 ? payloads[0].Type : PayloadType.None, skf.NextPayload);
        }
        // Full fragments but the last: no more fragments than needed.
        Assert.True(fragments.SkipLast(1).All(f => f.Length > max - 16), string.Join(",", fragments.Select(f => f.Length)));

        var reassembler = new FragmentReassembler(64, 10000);
        ReassembledMessage? whole = null;
        foreach (byte[] f in fragments.Reverse())
        {
            FragmentStatus status = reassembler.Add(f, Parse(f), responder, out whole, out ParseError error);
            Assert.True(status is FragmentStatus.Stored or FragmentStatus.Complete, $"{status}: {error}");
        }
        Assert.NotNull(whole);
        Assert.Equal(inner, whole.Content);
        Assert.Equal(fragments.Count, whole.Fragments);
        Assert.Null(reassembler.MessageId);
        Assert.Equal(MessageError.None, IkeMessage.TryDecodeInner(Header(), whole.FirstInner, whole.Content, out IkeMessage? m, out ParseError decodeError, out _));
        Assert.True(m is not null, decodeError.ToString());
        Assert.Equal(payloads.Select(Chain1), m.Payloads.Select(Chain1));

        // Too small to carry even one byte per fragment.
        Assert.Null(IkeFragmentation.Split(Header(), payloads, initiator, IkeHeader.Size + 12));
    }

    private static string Chain1(Payload p) => Convert.ToHexString(Chain([p]));

    // ---- reassembly rules ----

    [Fact]
    public void Duplicates_are_ignored_without_decryption_and_stale_fragments_dropped()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes128gcm16", null);
        using EncryptedPayload initiator = i, responder = r;
        var reassembler = new FragmentReassembler(64, 10000);
        byte[] f1 = Fragment(initiator, 1, 3, [1], messageId: 5), f2 = Fragment(initiator, 2, 3, [2], messageId: 5), f3 = Fragment(initiator, 3, 3, [3], messageId: 5);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(f2, Parse(f2), responder, out _, out _));
        // The same fragment again, even with a broken checksum, is recognised as a duplicate (no decryption spent).
        byte[] again = (byte[])f2.Clone();
        again[^1] ^= 1;
        Assert.Equal(FragmentStatus.Duplicate, reassembler.Add(again, Parse(again), responder, out _, out _));
        Assert.Equal(1, reassembler.StoredFragments);
        byte[] old = Fragment(initiator, 1, 1, [0], messageId: 4);
        Assert.Equal(FragmentStatus.Stale, reassembler.Add(old, Parse(old), responder, out _, out _));
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(f1, Parse(f1), responder, out _, out _));
        Assert.Equal(FragmentStatus.Complete, reassembler.Add(f3, Parse(f3), responder, out ReassembledMessage? whole, out _));
        Assert.Equal([1, 2, 3], whole!.Content);
    }

    [Fact]
    public void A_newer_message_discards_an_incomplete_older_one()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes256", "sha256");
        using EncryptedPayload initiator = i, responder = r;
        var reassembler = new FragmentReassembler(64, 10000);
        byte[] a1 = Fragment(initiator, 1, 2, [1, 1], messageId: 7);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(a1, Parse(a1), responder, out _, out _));
        byte[] b2 = Fragment(initiator, 2, 2, [2, 2], messageId: 8);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(b2, Parse(b2), responder, out _, out _));
        Assert.Equal(8u, reassembler.MessageId);
        Assert.Equal(1, reassembler.StoredFragments);
        // The rest of message 7 is now stale; message 8 completes with its own first fragment only.
        byte[] a2 = Fragment(initiator, 2, 2, [1, 2], messageId: 7);
        Assert.Equal(FragmentStatus.Stale, reassembler.Add(a2, Parse(a2), responder, out _, out _));
        byte[] b1 = Fragment(initiator, 1, 2, [2, 1], messageId: 8);
        Assert.Equal(FragmentStatus.Complete, reassembler.Add(b1, Parse(b1), responder, out ReassembledMessage? whole, out _));
        Assert.Equal([2, 1, 2, 2], whole!.Content);
    }

    [Fact]
    public void A_greater_total_starts_afresh_and_a_smaller_one_is_dropped()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes128gcm16", null);
        using EncryptedPayload initiator = i, responder = r;
        var reassembler = new FragmentReassembler(64, 10000);
        byte[] big1 = Fragment(initiator, 1, 2, [1, 2, 3, 4]);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(big1, Parse(big1), responder, out _, out _));
        // The sender re-fragmented smaller (RFC 7383 §2.5.2): three fragments now.
        byte[] small2 = Fragment(initiator, 2, 3, [3, 4]);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(small2, Parse(small2), responder, out _, out _));
        Assert.Equal(3, reassembler.TotalFragments);
        Assert.Equal(1, reassembler.StoredFragments);
        // A late fragment of the old fragmentation is inconsistent.
        byte[] big2 = Fragment(initiator, 2, 2, [5, 6]);
        Assert.Equal(FragmentStatus.Inconsistent, reassembler.Add(big2, Parse(big2), responder, out _, out ParseError error));
        Assert.Equal("Total Fragments", error.Field);
        Assert.Equal(1, reassembler.StoredFragments);
        byte[] small1 = Fragment(initiator, 1, 3, [1, 2]), small3 = Fragment(initiator, 3, 3, [5, 6]);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(small3, Parse(small3), responder, out _, out _));
        Assert.Equal(FragmentStatus.Complete, reassembler.Add(small1, Parse(small1), responder, out ReassembledMessage? whole, out _));
        Assert.Equal([1, 2, 3, 4, 5, 6], whole!.Content);
    }

    [Fact]
    public void Limits_on_fragments_and_bytes_are_enforced()
    {
        (EncryptedPayload i, EncryptedPayload r) = Keys("aes128gcm16", null);
        using EncryptedPayload initiator = i, responder = r;
        var reassembler = new FragmentReassembler(maxFragments: 4, maxBytes: 100);
        byte[] tooMany = Fragment(initiator, 1, 5, [1]);
        Assert.Equal(FragmentStatus.LimitExceeded, reassembler.Add(tooMany, Parse(tooMany), responder, out _, out ParseError error));
        Assert.Contains("limit of 4", error.Reason);
        Assert.Null(reassembler.MessageId);

        byte[] f1 = Fragment(initiator, 1, 3, new byte[60]), f2 = Fragment(initiator, 2, 3, new byte[40]), f3 = Fragment(initiator, 3, 3, new byte[1]);
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(f1, Parse(f1), responder, out _, out _));
        Assert.Equal(FragmentStatus.Stored, reassembler.Add(f2, Parse(f2), responder, out _, out _));
        Assert.Equal(100, reassembler.StoredBytes);
        // One byte more than allowed: the whole message is discarded.
        Assert.Equal(FragmentStatus.LimitExceeded, reassembler.Add(f3, Parse(f3), responder, out _, out error));
        Assert.Contains("100 bytes", error.Reason);
        Assert.Null(reassembler.MessageId);
        Assert.Equal(0, reassembler.StoredBytes);
        // Exactly at the limits is fine.
        byte[] g1 = Fragment(initiator, 1, 4, new byte[25]), g2 = Fragment(initiator, 2, 4, new byte[25]), g3 = Fragment(initiator, 3, 4, new byte[25]), g4 = Fragment(initiator, 4, 4, new byte[25]);
        foreach (byte[] g in new[] { g1, g2, g3 }) Assert.Equal(FragmentStatus.Stored, reassembler.Add(g, Parse(g), responder, out _, out _));
        Assert.Equal(FragmentStatus.Complete, reassembler.Add(g4, Parse(g4), responder, out ReassembledMessage? whole, out _));
        Assert.Equal(100, whole!.Content.Length);
    }

    // ---- two engines ----

    /// <summary>A fragment size that needs three fragments for the IKE_AUTH messages (about 220 bytes whole).</summary>
    private const int SmallSize = 160;

    private static IkeEngineOptions Small() => new() { FragmentSize = SmallSize };

    /// <summary>Sets <c>fragmentation</c> on a freshly built connection (an init-only property, set as the loader would).</summary>
    private static ConnectionConfig Fragmentation(ConnectionConfig connection, FragmentationPolicy policy)
    {
        typeof(ConnectionConfig).GetProperty(nameof(ConnectionConfig.Fragmentation))!.SetValue(connection, policy);
        return connection;
    }

    private static EnginePair SmallPair(FragmentationPolicy left = FragmentationPolicy.Yes, FragmentationPolicy right = FragmentationPolicy.Yes,
        IkeEngineOptions? leftOptions = null, IkeEngineOptions? rightOptions = null, string ike = "aes128gcm16-prfsha256-ecp256") =>
        new(MakeConfig(Fragmentation(Connection(left: true, ike), left)), MakeConfig(Fragmentation(Connection(left: false, ike), right)),
            leftOptions ?? Small(), rightOptions ?? Small());

    private static bool IsFragment(Packet p) => p.Header is { NextPayload: PayloadType.EncryptedFragment };

    private static ushort FragmentNumber(Packet p) => BinaryPrimitives.ReadUInt16BigEndian(p.Data.AsSpan(IkeHeader.Size + 4));

    private static IEnumerable<Packet> Fragments(EnginePair pair, Side from, ExchangeType exchange) =>
        pair.Sent.Where(p => p.From == from && IsFragment(p) && p.Header!.Value.ExchangeType == exchange);

    [Theory]
    [InlineData("aes128gcm16-prfsha256-ecp256")]
    [InlineData("aes256-sha256-modp2048")]
    public void Ike_auth_is_fragmented_both_ways_and_the_sa_establishes(string ike)
    {
        EnginePair pair = SmallPair(ike: ike);
        pair.Establish();

        (IkeSa l, IkeSa r) = AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.True(l.PeerSupportsFragmentation && r.PeerSupportsFragmentation);
        Assert.True(l.SendsFragments && r.SendsFragments);
        Packet[] requests = Fragments(pair, Side.Left, ExchangeType.IkeAuth).ToArray(), responses = Fragments(pair, Side.Right, ExchangeType.IkeAuth).ToArray();
        Assert.True(requests.Length >= 2, pair.Dump());
        Assert.True(responses.Length >= 2, pair.Dump());
        Assert.Equal(Enumerable.Range(1, requests.Length).Select(n => (ushort)n), requests.Select(FragmentNumber));
        // Every datagram, as an IP packet (20 + 8 bytes more), fits the fragment size; IKE_SA_INIT is never fragmented.
        Assert.All(pair.Sent, p => Assert.True(p.Header!.Value.ExchangeType == ExchangeType.IkeSaInit || p.Data.Length + 28 <= SmallSize, $"{p.Data.Length} bytes"));
        Assert.DoesNotContain(pair.Sent, p => p.Header!.Value.ExchangeType == ExchangeType.IkeSaInit && IsFragment(p));
        Assert.Equal(2 + requests.Length + responses.Length, pair.Sent.Count);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
        Assert.True(pair.RightLog.Has($"reassembled IkeAuth request 1 from {requests.Length} fragments"), pair.Dump());
        Assert.True(pair.LeftLog.Has($"reassembled IkeAuth response 1 from {responses.Length} fragments"), pair.Dump());

        // Later exchanges use it too: a CREATE_CHILD_SA and a DELETE.
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _));
        pair.Drive();
        Assert.Equal(2, pair.Events<ChildSaInstalled>(Side.Right).Count());
        Assert.NotEmpty(Fragments(pair, Side.Left, ExchangeType.CreateChildSa));
        pair.Left.TerminateAll(pair.Now, "done");
        pair.Drive();
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
    }

    [Fact]
    public void Ike_sa_init_announces_support_both_ways()
    {
        EnginePair pair = SmallPair();
        pair.Establish();
        Assert.True(Announced(pair.Sent[0]));
        Assert.True(Announced(pair.Sent[1]));
    }

    private static bool Announced(Packet initMessage)
    {
        Assert.Equal(ExchangeType.IkeSaInit, initMessage.Header!.Value.ExchangeType);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(initMessage.Data, initMessage.Header.Value, null, out IkeMessage? m, out _, out _));
        return m!.Notify(NotifyType.Ikev2FragmentationSupported) is { Data.Length: 0 };
    }

    [Fact]
    public void A_lost_request_fragment_makes_the_retransmission_resend_all_of_them()
    {
        EnginePair pair = SmallPair();
        bool dropped = false;
        pair.Intercept = p =>
        {
            if (!dropped && p.From == Side.Left && IsFragment(p) && FragmentNumber(p) == 2) { dropped = true; return []; }
            return [p];
        };
        pair.Establish();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Packet[] sent = Fragments(pair, Side.Left, ExchangeType.IkeAuth).ToArray();
        int total = sent.Count(p => p.At == sent[0].At);
        Assert.True(total >= 2);
        // The first flight and the retransmission: the same datagrams, byte for byte, every one of them.
        Assert.Equal(2 * total, sent.Length);
        Assert.Equal(sent[..total].Select(p => p.Data), sent[total..].Select(p => p.Data));
        Assert.True(sent[total].At > sent[0].At);
        Assert.True(pair.LeftLog.Has("retransmitting IkeAuth request 1 (try 1)"), pair.Dump());
        // The response went out once: the retransmission completed the request.
        Assert.Equal(Fragments(pair, Side.Right, ExchangeType.IkeAuth).Count(), Fragments(pair, Side.Right, ExchangeType.IkeAuth).Select(FragmentNumber).Distinct().Count());
        Assert.True(pair.RightLog.Has("Duplicate"), pair.Dump());
    }

    [Fact]
    public void A_lost_response_fragment_gets_the_cached_response_replayed_once_per_retransmission()
    {
        EnginePair pair = SmallPair();
        bool dropped = false;
        pair.Intercept = p =>
        {
            if (!dropped && p.From == Side.Right && IsFragment(p) && FragmentNumber(p) == 1) { dropped = true; return []; }
            return [p];
        };
        pair.Establish();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Packet[] responses = Fragments(pair, Side.Right, ExchangeType.IkeAuth).ToArray();
        int total = responses.Count(p => p.At == responses[0].At);
        // One retransmission of all request fragments is answered with all response fragments once, as cached.
        Assert.Equal(2 * total, responses.Length);
        Assert.Equal(responses[..total].Select(p => p.Data), responses[total..].Select(p => p.Data));
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Right));
    }

    [Fact]
    public void Reordered_and_duplicated_fragments_reassemble()
    {
        EnginePair pair = SmallPair();
        var held = new List<Packet>();
        pair.Intercept = p =>
        {
            if (!IsFragment(p)) return [p];
            held.Add(p);
            return [];
        };
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _));
        pair.Drive(TimeSpan.Zero);
        Packet[] request = held.Where(p => p.From == Side.Left).ToArray();
        Assert.True(request.Length >= 3, pair.Dump());
        held.Clear();
        // Last first, then the others twice each, in reverse.
        foreach (Packet p in request.Reverse().Concat(request.Reverse())) pair.Inject(p);
        pair.Drive(TimeSpan.Zero);
        Packet[] response = held.Where(p => p.From == Side.Right).DistinctBy(FragmentNumber).ToArray();
        Assert.True(response.Length >= 2, pair.Dump());
        // The second copy of the request's first fragment had the cached response sent again, once.
        Assert.Equal(2 * response.Length, held.Count(p => p.From == Side.Right));
        pair.Intercept = null;
        foreach (Packet p in response.Skip(1).Concat(response.Take(1))) pair.Inject(p);
        pair.Drive();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
    }

    [Fact]
    public void Fragments_over_the_receivers_limits_are_dropped_with_a_warning()
    {
        // Right accepts at most 2 fragments per message: left's 3-fragment IKE_AUTH never gets through.
        EnginePair pair = SmallPair(rightOptions: Small() with { MaxIkeFragments = 2 });
        pair.Establish();
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("LimitExceeded fragment: Total Fragments") && w.Contains("above the limit of 2"));
        Assert.True(pair.LeftLog.Has("giving up after 5 retransmits of IkeAuth request 1"), pair.Dump());

        // And at most 100 bytes in all.
        pair = SmallPair(rightOptions: Small() with { MaxIkeReassemblySize = 100 });
        pair.Establish();
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Contains(pair.RightLog.Warnings, w => w.Contains("grows beyond 100 bytes"));
    }

    [Theory]
    [InlineData(FragmentationPolicy.No, FragmentationPolicy.Yes)]
    [InlineData(FragmentationPolicy.Yes, FragmentationPolicy.No)]
    public void Without_both_announcements_nothing_is_fragmented(FragmentationPolicy left, FragmentationPolicy right)
    {
        EnginePair pair = SmallPair(left, right);
        pair.Establish();
        (IkeSa l, IkeSa r) = AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.DoesNotContain(pair.Sent, IsFragment);
        Assert.False(l.SendsFragments || r.SendsFragments);
        Assert.Equal(left != FragmentationPolicy.No, Announced(pair.Sent[0]));
        // The responder answers the announcement only when it was made and it supports fragmentation itself.
        Assert.False(Announced(pair.Sent[1]));
        Assert.Equal(4, pair.Sent.Count);
    }

    [Fact]
    public void Accept_announces_and_receives_but_never_sends_fragments()
    {
        EnginePair pair = SmallPair(left: FragmentationPolicy.Accept);
        pair.Establish();
        (IkeSa l, IkeSa r) = AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.True(Announced(pair.Sent[0]) && Announced(pair.Sent[1]));
        Assert.False(l.SendsFragments);
        Assert.True(r.SendsFragments);
        Assert.Empty(Fragments(pair, Side.Left, ExchangeType.IkeAuth));
        Assert.NotEmpty(Fragments(pair, Side.Right, ExchangeType.IkeAuth));
    }

    [Fact]
    public void Behind_a_nat_the_non_esp_marker_is_counted()
    {
        EnginePair pair = SmallPair();
        pair.NatLeft = true;
        pair.Establish();
        AssertIkePair(pair);
        AssertChildPair(pair);
        Packet[] fragments = pair.Sent.Where(IsFragment).ToArray();
        Assert.NotEmpty(fragments);
        Assert.All(fragments, p => Assert.True(p.NonEspMarker && p.Data.Length + 4 + 28 <= SmallSize, $"{p.Data.Length} bytes"));
        Assert.Contains(fragments, p => p.Data.Length + 4 + 28 > SmallSize - 16);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void Mutated_fragments_never_throw_and_never_break_the_sa(int seed)
    {
        var rng = new Random(seed);
        EnginePair pair = SmallPair();
        pair.Establish();
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _)); // a fragmented CREATE_CHILD_SA too
        pair.Drive();
        Packet[] fragments = pair.Sent.Where(IsFragment).ToArray();
        Assert.True(fragments.Length >= 8, pair.Dump());
        for (int i = 0; i < 2000; i++)
        {
            Packet p = fragments[rng.Next(fragments.Length)];
            pair.Inject(p with { Data = Ikev2FuzzTests.Mutate(p.Data, rng) });
            if (i % 50 == 0) pair.Drive(TimeSpan.Zero);
        }
        pair.Drive(TimeSpan.FromMinutes(1));
        IkeSa left = Assert.Single(pair.Left.IkeSas);
        Assert.Equal(IkeSaState.Established, left.State);
        // Still answering: a fragmented CREATE_CHILD_SA goes through.
        int children = pair.Events<ChildSaInstalled>(Side.Right).Count();
        Assert.True(pair.Left.Initiate(pair.Now, "net", out _));
        pair.Drive();
        Assert.Equal(children + 1, pair.Events<ChildSaInstalled>(Side.Right).Count());
    }

    [Fact]
    public void Retransmit_limit_caps_each_delay()
    {
        var options = new IkeEngineOptions { RetransmitTimeout = TimeSpan.FromSeconds(4), RetransmitBase = 2, RetransmitLimit = TimeSpan.FromSeconds(10) };
        Assert.Equal([4, 8, 10, 10], Enumerable.Range(0, 4).Select(n => options.RetransmitDelay(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(64), (options with { RetransmitLimit = TimeSpan.Zero }).RetransmitDelay(4));
    }
}
