using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

public class Ikev2EstablishTests
{
    /// <summary>Checks that both sides installed matching halves of one CHILD SA and returns them (left, right).</summary>
    internal static (ChildSa Left, ChildSa Right) AssertChildPair(EnginePair pair, string name = "net")
    {
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left), e => e.ChildSa.Name == name).ChildSa;
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right), e => e.ChildSa.Name == name).ChildSa;
        Assert.Equal(l.InboundSpi, r.OutboundSpi);
        Assert.Equal(l.OutboundSpi, r.InboundSpi);
        Assert.NotEqual(l.InboundSpi, l.OutboundSpi);
        Assert.Equal(l.Proposal.ToString(), r.Proposal.ToString());
        Assert.Equal(l.OutboundEncryptionKey.ReadOnlySpan.ToArray(), r.InboundEncryptionKey.ReadOnlySpan.ToArray());
        Assert.Equal(l.OutboundIntegrityKey.ReadOnlySpan.ToArray(), r.InboundIntegrityKey.ReadOnlySpan.ToArray());
        Assert.Equal(l.InboundEncryptionKey.ReadOnlySpan.ToArray(), r.OutboundEncryptionKey.ReadOnlySpan.ToArray());
        Assert.Equal(l.InboundIntegrityKey.ReadOnlySpan.ToArray(), r.OutboundIntegrityKey.ReadOnlySpan.ToArray());
        // The two directions must not share keys.
        if (l.Proposal.Encryption is null) Assert.NotEqual(l.OutboundIntegrityKey.ReadOnlySpan.ToArray(), l.InboundIntegrityKey.ReadOnlySpan.ToArray());
        else Assert.NotEqual(l.OutboundEncryptionKey.ReadOnlySpan.ToArray(), l.InboundEncryptionKey.ReadOnlySpan.ToArray());
        Assert.Equal(l.Proposal.Encryption?.KeyMaterialSize ?? 0, l.OutboundEncryptionKey.Length);
        Assert.Equal(l.Proposal.Integrity?.KeySize ?? 0, l.OutboundIntegrityKey.Length);
        Assert.Equal(l.LocalTs, r.RemoteTs);
        Assert.Equal(l.RemoteTs, r.LocalTs);
        Assert.Equal(ChildSaState.Installed, l.State);
        Assert.Equal(ChildSaState.Installed, r.State);
        return (l, r);
    }

    internal static (IkeSa Left, IkeSa Right) AssertIkePair(EnginePair pair)
    {
        IkeSa l = Assert.Single(pair.Events<IkeSaEstablished>(Side.Left)).IkeSa;
        IkeSa r = Assert.Single(pair.Events<IkeSaEstablished>(Side.Right)).IkeSa;
        Assert.Equal(IkeSaState.Established, l.State);
        Assert.Equal(IkeSaState.Established, r.State);
        Assert.True(l.IsInitiator);
        Assert.False(r.IsInitiator);
        Assert.Equal(l.InitiatorSpi, r.InitiatorSpi);
        Assert.Equal(l.ResponderSpi, r.ResponderSpi);
        Assert.NotEqual(0UL, l.ResponderSpi);
        Assert.Equal(l.Proposal!.ToString(), r.Proposal!.ToString());
        Assert.Equal(Id("@right.example"), l.RemoteId);
        Assert.Equal(Id("@left.example"), r.RemoteId);
        return (l, r);
    }

    [Theory]
    [InlineData("aes128gcm16-prfsha256-ecp256", "aes128gcm16")]
    [InlineData("aes256-sha256-modp2048", "aes256-sha256")]
    [InlineData("chacha20poly1305-prfsha256-curve25519", "chacha20poly1305")]
    [InlineData("aes256gcm16-prfsha384-ecp384", "aes256gcm16")]
    [InlineData("aes128-sha1-modp2048", "aes128-sha1")]
    public void Establishes_IkeSa_and_first_child(string ike, string esp)
    {
        EnginePair pair = Create(ike, esp);
        pair.Establish();

        (IkeSa li, IkeSa ri) = AssertIkePair(pair);
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.Equal(Negotiated(P(ike, ike: true)), li.Proposal!.ToString());
        Assert.Equal(Negotiated(P(esp, ike: false)), l.Proposal.ToString());
        Assert.Equal([LeftNet], l.LocalTs);
        Assert.Equal([RightNet], l.RemoteTs);
        Assert.Equal([RightNet], r.LocalTs);
        Assert.Equal([LeftNet], r.RemoteTs);
        Assert.False(l.UdpEncapsulation);
        Assert.False(r.UdpEncapsulation);
        Assert.Same(li, l.IkeSa);
        Assert.Same(ri, r.IkeSa);
        // Four messages, no retransmission, no warnings.
        Assert.Equal(4, pair.Sent.Count);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
        Assert.True(pair.LeftLog.Has("IKE_SA established"), pair.Dump());
        Assert.True(pair.RightLog.Has("CHILD_SA net{"), pair.Dump());
        // IKE_SA_INIT on port 500; with MOBIKE (the default) IKE_AUTH moves to 4500 even without a NAT, as strongSwan's
        // initiator does, while ESP stays plain.
        Assert.All(pair.Sent.Take(2), p => Assert.False(p.NonEspMarker));
        Assert.All(pair.Sent.Skip(2), p => Assert.True(p.NonEspMarker));
        Assert.True(li.MobikeEnabled && ri.MobikeEnabled);
        pair.AssertNothingPending(pair.Left);
        pair.AssertNothingPending(pair.Right);
    }

    /// <summary>A configured single-choice proposal in NegotiatedProposal's notation (enc-integ-prf-ke, noesn left out).</summary>
    internal static string Negotiated(Proposal p)
    {
        Portcullis.Core.Crypto.TransformType[] order = [Portcullis.Core.Crypto.TransformType.Encryption, Portcullis.Core.Crypto.TransformType.Integrity, Portcullis.Core.Crypto.TransformType.Prf, Portcullis.Core.Crypto.TransformType.KeyExchange];
        return string.Join('-', order.SelectMany(p.OfType).Select(t => t.Keyword));
    }

    [Fact]
    public void Invalid_ke_payload_makes_the_initiator_retry_with_the_group_asked_for()
    {
        var left = MakeConfig(Connection(left: true, ike: "aes128gcm16-prfsha256-ecp256-modp2048"));
        var right = MakeConfig(Connection(left: false, ike: "aes128gcm16-prfsha256-modp2048"));
        var pair = new EnginePair(left, right);
        pair.Establish();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.Contains("modp2048", pair.Events<IkeSaEstablished>(Side.Left).Single().IkeSa.Proposal!.ToString());
        Assert.True(pair.LeftLog.Has("peer wants key exchange modp2048 instead of ecp256; retrying"), pair.Dump());
        // INIT, INVALID_KE, INIT, INIT response, AUTH, AUTH response.
        Assert.Equal(6, pair.Sent.Count);
        Assert.Equal((ushort)19, KeGroup(pair.Sent[0]));
        Assert.Equal((ushort)14, KeGroup(pair.Sent[2]));
        // The responder kept no state for the refused request.
        Assert.Single(pair.Right.IkeSas);
    }

    [Fact]
    public void Invalid_ke_payload_with_two_proposals()
    {
        var left = MakeConfig(Connection(left: true, ike: "aes128gcm16-prfsha256-ecp256,aes128gcm16-prfsha256-modp2048"));
        var right = MakeConfig(Connection(left: false, ike: "aes128gcm16-prfsha256-modp2048"));
        var pair = new EnginePair(left, right);
        pair.Establish();
        AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.True(pair.LeftLog.Has("peer wants key exchange modp2048 instead of ecp256; retrying"), pair.Dump());
    }

    internal static ushort? KeGroup(Packet p)
    {
        Assert.True(IkeHeader.TryParse(p.Data, out IkeHeader h, out _));
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(p.Data, h, null, out IkeMessage? m, out _, out _));
        return m!.Get<KePayload>()?.Group;
    }

    [Fact]
    public void Cookie_request_makes_the_initiator_resend_with_the_cookie_first()
    {
        var pair = Create();
        byte[] cookie = Convert.FromHexString("00112233445566778899aabbccddeeff0102030405060708");
        bool answered = false;
        pair.Intercept = p =>
        {
            if (!answered && p.From == Side.Left && p.Header is { ExchangeType: ExchangeType.IkeSaInit, IsResponse: false } h)
            {
                answered = true;
                // A fake responder under load: a stateless COOKIE answer instead of delivering the request.
                var header = new IkeHeader(h.InitiatorSpi, 0, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.IkeSaInit, IkeHeaderFlags.Response, 0, 0);
                byte[] reply = new IkeMessage(header, [new NotifyPayload(NotifyType.Cookie, cookie)]).Encode(null);
                return [new Packet(Side.Right, p.Destination, p.Source, reply, false)];
            }
            return [p];
        };
        pair.Establish();

        AssertIkePair(pair);
        AssertChildPair(pair);
        Assert.True(pair.LeftLog.Has("peer asked for a COOKIE"), pair.Dump());
        Packet first = pair.Sent[0], retry = pair.Sent.First(p => p.From == Side.Left && p != first);
        // The retry is the first request with N(COOKIE) in front (RFC 7296 §2.6).
        Assert.Equal(first.Data.AsSpan(0, 16).ToArray(), retry.Data.AsSpan(0, 16).ToArray());
        Assert.Equal((byte)PayloadType.Notify, retry.Data[16]);
        Assert.Equal(0u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(retry.Data.AsSpan(20)));
        byte[] expectedNotify = [(byte)PayloadType.SecurityAssociation, 0, 0, (byte)(8 + cookie.Length), 0, 0, 0x40, 0x06, .. cookie];
        Assert.Equal(expectedNotify, retry.Data.AsSpan(28, expectedNotify.Length).ToArray());
        Assert.Equal(first.Data.Length + expectedNotify.Length, retry.Data.Length);
    }

    [Fact]
    public void Proposal_mismatch_is_no_proposal_chosen_with_a_clear_log_line()
    {
        var left = MakeConfig(Connection(left: true, ike: "aes128gcm16-prfsha256-ecp256"));
        var right = MakeConfig(Connection(left: false, ike: "aes128gcm16-prfsha256-ecp384"));
        var pair = new EnginePair(left, right);
        pair.Establish();

        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        string line = Assert.Single(pair.RightLog.Warnings, w => w.Contains("no proposal chosen"));
        Assert.Contains("received aes128gcm16-prfsha256-ecp256", line);
        Assert.Contains("configured aes128gcm16-prfsha256-ecp384", line);
        Assert.Contains("KEY_EXCHANGE_METHOD", line);
        Assert.True(pair.LeftLog.Has("NO_PROPOSAL_CHOSEN"), pair.Dump());
        IkeSaRemoved removed = Assert.Single(pair.Events<IkeSaRemoved>(Side.Left));
        Assert.Contains("NO_PROPOSAL_CHOSEN", removed.Reason);
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
        Assert.Equal(2, pair.Sent.Count);
    }

    [Fact]
    public void Encryption_mismatch_names_the_encryption_transform_type()
    {
        var left = MakeConfig(Connection(left: true, ike: "aes128gcm16-prfsha256-ecp256"));
        var right = MakeConfig(Connection(left: false, ike: "aes256-sha256-ecp256"));
        var pair = new EnginePair(left, right);
        pair.Establish();
        string line = Assert.Single(pair.RightLog.Warnings, w => w.Contains("no proposal chosen"));
        Assert.Contains("ENCRYPTION_ALGORITHM", line);
        Assert.Empty(pair.Left.IkeSas);
    }

    [Fact]
    public void Wrong_psk_is_authentication_failed_on_both_sides()
    {
        var left = MakeConfig(Connection(left: true), "the left key"u8.ToArray());
        var right = MakeConfig(Connection(left: false), "the right key"u8.ToArray());
        var pair = new EnginePair(left, right);
        pair.Establish();

        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<IkeSaEstablished>(Side.Right));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        string r = Assert.Single(pair.RightLog.Warnings);
        Assert.Contains("authentication of 'left.example' failed: pre-shared key mismatch", r);
        string l = Assert.Single(pair.LeftLog.Warnings);
        Assert.Contains("AUTHENTICATION_FAILED", l);
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Left));
        Assert.Single(pair.Events<IkeSaRemoved>(Side.Right));
        Assert.Empty(pair.Left.IkeSas);
        Assert.Empty(pair.Right.IkeSas);
        // The IKE_AUTH response carries AUTHENTICATION_FAILED and nothing is retransmitted.
        Assert.Equal(4, pair.Sent.Count);
    }

    [Fact]
    public void Responder_narrows_the_traffic_selectors()
    {
        TrafficSelector narrow = Ts("198.51.100.0/27");
        var left = MakeConfig(Connection(left: true));
        var right = MakeConfig(Connection(left: false, remoteTs: [narrow]));
        var pair = new EnginePair(left, right);
        pair.Establish();

        AssertIkePair(pair);
        (ChildSa l, ChildSa r) = AssertChildPair(pair);
        Assert.Equal([narrow], l.LocalTs);
        Assert.Equal([RightNet], l.RemoteTs);
        Assert.Equal([narrow], r.RemoteTs);
        Assert.Equal([RightNet], r.LocalTs);
    }

    [Fact]
    public void Disjoint_traffic_selectors_are_ts_unacceptable()
    {
        var left = MakeConfig(Connection(left: true));
        var right = MakeConfig(Connection(left: false, remoteTs: [Ts("198.51.100.128/26")]));
        var pair = new EnginePair(left, right);
        pair.Establish();

        AssertIkePair(pair);
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.True(pair.RightLog.Has("TS_UNACCEPTABLE"), pair.Dump());
        Assert.True(pair.LeftLog.Has("CHILD_SA net not established: peer answered TS_UNACCEPTABLE"), pair.Dump());
    }

    [Fact]
    public void Ecp256_against_aes_cbc_integrity_keys_are_distinct_per_direction()
    {
        var pair = Create("aes256-sha256-modp2048", "aes256-sha256");
        pair.Establish();
        (ChildSa l, _) = AssertChildPair(pair);
        Assert.NotEqual(l.OutboundIntegrityKey.ReadOnlySpan.ToArray(), l.InboundIntegrityKey.ReadOnlySpan.ToArray());
        Assert.Equal(32, l.OutboundIntegrityKey.Length);
    }
}
