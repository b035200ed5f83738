using System.Net;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Ipsec;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

public class Ikev2WireTests
{
    private static byte[] Body(Payload p)
    {
        var b = new byte[p.BodyLength];
        p.WriteBody(b);
        return b;
    }

    internal static IEnumerable<Payload> Samples()
    {
        var ike = P("aes256-sha256-prfsha384-modp2048", ike: true);
        yield return new SaPayload(ProposalMatcher.ToWire([ike, P("aes128gcm16-prfsha256-ecp256", ike: true)], ProtocolId.Ike, []));
        yield return new SaPayload(ProposalMatcher.ToWire([P("aes128gcm16-ecp256", ike: false)], ProtocolId.Esp, [0xc0, 1, 2, 3]));
        yield return new KePayload(19, Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        yield return new IdPayload(PayloadType.IdInitiator, Id("@left.example"));
        yield return new IdPayload(PayloadType.IdResponder, Identity.FromAddress(IPAddress.Parse("2001:db8::1")));
        yield return new AuthPayload(AuthMethod.SharedKeyMessageIntegrityCode, new byte[32]);
        yield return new NoncePayload(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        yield return new NotifyPayload(NotifyType.Cookie, [1, 2, 3, 4]);
        yield return new NotifyPayload(NotifyType.RekeySa, [], ProtocolId.Esp, [0xc0, 0, 0, 1]);
        yield return NotifyPayload.Of(NotifyType.UseTransportMode);
        yield return new DeletePayload(ProtocolId.Ike, []);
        yield return new DeletePayload(ProtocolId.Esp, [0xc0000001, 0xc0000002]);
        yield return new VendorIdPayload("portcullis"u8);
        yield return new TsPayload(PayloadType.TrafficSelectorInitiator, [LeftNet, Ts("198.51.100.1-198.51.100.9[udp/1701]")]);
        yield return new TsPayload(PayloadType.TrafficSelectorResponder, [Ts("2001:db8::/64[tcp/80-90]")]);
        yield return new UnknownPayload((PayloadType)200, [9, 9, 9]);
        yield return ConfigurationPayload.VirtualIpReply([IPAddress.Parse("198.18.100.1"), IPAddress.Parse("2001:db8::1")], [IPAddress.Parse("198.18.0.53")]);
        yield return CertPayload.X509([0x30, 0x03, 0x02, 0x01, 0x05]);
        yield return CertReqPayload.X509([Enumerable.Range(0, 20).Select(i => (byte)i).ToArray()]);
    }

    [Fact]
    public void Every_payload_round_trips_through_a_message()
    {
        Payload[] payloads = Samples().ToArray();
        var header = new IkeHeader(0x0102030405060708, 0x1112131415161718, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.Informational,
            IkeHeaderFlags.Initiator, 7, 0);
        byte[] bytes = new IkeMessage(header, payloads).Encode(null);
        Assert.True(IkeHeader.TryParse(bytes, out IkeHeader parsedHeader, out _));
        Assert.Equal(header with { NextPayload = PayloadType.SecurityAssociation, Length = (uint)bytes.Length }, parsedHeader);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(bytes, parsedHeader, null, out IkeMessage? m, out ParseError error, out _));
        Assert.True(m is not null, error.ToString());
        Assert.Equal(payloads.Length, m!.Payloads.Count);
        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(payloads[i].Type, m.Payloads[i].Type);
            Assert.Equal(payloads[i].GetType(), m.Payloads[i].GetType());
            Assert.Equal(Body(payloads[i]), Body(m.Payloads[i]));
        }
        // Typed spot checks: parse(write(x)) gives x back field by field.
        var sa = (SaPayload)m.Payloads[0];
        Assert.Equal(((SaPayload)payloads[0]).Proposals.SelectMany(p => p.Transforms), sa.Proposals.SelectMany(p => p.Transforms));
        Assert.Equal([0xc0, 1, 2, 3], ((SaPayload)m.Payloads[1]).Proposals[0].Spi);
        Assert.Equal((ushort)19, ((KePayload)m.Payloads[2]).Group);
        Assert.Equal(Id("@left.example"), ((IdPayload)m.Payloads[3]).Identity);
        Assert.Equal(AuthMethod.SharedKeyMessageIntegrityCode, ((AuthPayload)m.Payloads[5]).Method);
        Assert.Equal(NotifyType.RekeySa, ((NotifyPayload)m.Payloads[8]).NotifyType);
        Assert.Equal([0xc0, 0, 0, 1], ((NotifyPayload)m.Payloads[8]).Spi.ToArray());
        Assert.Equal([0xc0000001u, 0xc0000002u], ((DeletePayload)m.Payloads[11]).Spis);
        Assert.Equal(((TsPayload)payloads[13]).Selectors, ((TsPayload)m.Payloads[13]).Selectors);
        Assert.Equal(((TsPayload)payloads[14]).Selectors, ((TsPayload)m.Payloads[14]).Selectors);
        // And writing what was read gives the same bytes.
        Assert.Equal(bytes, new IkeMessage(parsedHeader, m.Payloads).Encode(null));
    }

    [Theory]
    [InlineData("aes128gcm16", null)]
    [InlineData("chacha20poly1305", null)]
    [InlineData("aes256", "sha256")]
    [InlineData("aes128", "sha1")]
    public void Encrypted_payload_round_trips_and_detects_tampering(string encryption, string? integrity)
    {
        var enc = TransformRegistry.Get<EncryptionTransform>(encryption);
        IntegrityTransform? integ = integrity is null ? null : TransformRegistry.Get<IntegrityTransform>(integrity);
        byte[] ki = Enumerable.Range(1, enc.KeyMaterialSize).Select(i => (byte)i).ToArray();
        byte[] kr = Enumerable.Range(101, enc.KeyMaterialSize).Select(i => (byte)i).ToArray();
        byte[] ai = new byte[integ?.KeySize ?? 0], ar = Enumerable.Repeat((byte)5, integ?.KeySize ?? 0).ToArray();
        using var initiator = new EncryptedPayload(enc, integ, ki, ai, kr, ar);
        using var responder = new EncryptedPayload(enc, integ, kr, ar, ki, ai);
        Payload[] payloads = Samples().ToArray();
        var header = new IkeHeader(1, 2, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.CreateChildSa, IkeHeaderFlags.Initiator, 3, 0);
        byte[] bytes = new IkeMessage(header, payloads).Encode(initiator);
        Assert.True(IkeHeader.TryParse(bytes, out IkeHeader h, out _));
        Assert.Equal(PayloadType.Encrypted, h.NextPayload);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(bytes, h, responder, out IkeMessage? m, out _, out _));
        Assert.True(m!.Encrypted);
        Assert.Equal(payloads.Select(Body), m.Payloads.Select(Body));
        // The wrong direction's keys, a flipped bit anywhere, a changed header: all refused.
        Assert.Equal(MessageError.IntegrityCheckFailed, IkeMessage.TryDecode(bytes, h, initiator, out _, out _, out _));
        for (int i = IkeHeader.Size + 4; i < bytes.Length; i += 7)
        {
            byte[] t = (byte[])bytes.Clone();
            t[i] ^= 0x10;
            Assert.NotEqual(MessageError.None, IkeMessage.TryDecode(t, h, responder, out _, out _, out _));
        }
        byte[] id = (byte[])bytes.Clone();
        id[23] ^= 1; // message ID
        Assert.True(IkeHeader.TryParse(id, out IkeHeader h2, out _));
        Assert.Equal(MessageError.IntegrityCheckFailed, IkeMessage.TryDecode(id, h2, responder, out _, out _, out _));
    }

    /// <summary>
    /// An IKE_SA_INIT request from another implementation: the raw packet in the Android IKE library's
    /// IkeMessageTest (AOSP, packages/modules/IPsec, Apache-2.0): SA (aes128-sha1-modp1024-prfsha1), KE of
    /// group 2, a 32-byte nonce, both NAT_DETECTION notifies and a Vendor ID.
    /// </summary>
    private const string AndroidIkeSaInit =
        "8f54bf6d8b48e6e10000000000000000212022080000000000000150" +
        "220000300000002c010100040300000c0100000c800e00800300000803000002030000080400000200000008" +
        "020000022800008800020000b4a2faf4bb54878ae21d638512ece55d9236fc5046ab6cef82220f421f3ce6361faf3656" +
        "4ecb6d28798a94aad7b2b4b603ddeaaa5630adb9ece8ac37534036040610ebdd92f46bef84f0be7db860351843858f8a" +
        "cf87056e272377f70c9f2d81e29c7b0ce4f291a3a72476bb0b278fd4b7b0a4c26bbeb08214c707137607958729000024" +
        "c39b7f368f4681b89fa9b7be6465abd7c5f68b6ed5d3b4c72cb4240eb5c464122900001c00004004e54f73b7d83f6beb" +
        "881eab2051d8663f421d10b02b00001c00004005d915368ca036004cb578ae3e3fb268509aeab19000000020699369228741c6d4ca094c93e242c9de19e7b7c60000000500000500";

    [Fact]
    public void A_real_ike_sa_init_parses_and_re_encodes_byte_for_byte()
    {
        byte[] bytes = Convert.FromHexString(AndroidIkeSaInit);
        Assert.True(IkeHeader.TryParse(bytes, out IkeHeader h, out ParseError headerError), headerError.ToString());
        Assert.Equal(0x8f54bf6d8b48e6e1UL, h.InitiatorSpi);
        Assert.Equal(0UL, h.ResponderSpi);
        Assert.Equal(ExchangeType.IkeSaInit, h.ExchangeType);
        Assert.True(h.FromInitiator);
        Assert.False(h.IsResponse);
        Assert.Equal(0x150u, h.Length);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(bytes, h, null, out IkeMessage? m, out ParseError error, out _));
        Assert.True(m is not null, error.ToString());
        Assert.Equal([PayloadType.SecurityAssociation, PayloadType.KeyExchange, PayloadType.Nonce, PayloadType.Notify, PayloadType.Notify, PayloadType.VendorId],
            m!.Payloads.Select(p => p.Type));
        WireProposal proposal = Assert.Single(m.Get<SaPayload>()!.Proposals);
        Assert.Equal(ProtocolId.Ike, proposal.Protocol);
        Assert.Equal("aes128-sha1-modp1024-prfsha1", ProposalMatcher.Describe([proposal]));
        Assert.Equal((ushort)2, m.Get<KePayload>()!.Group);
        Assert.Equal(128, m.Get<KePayload>()!.Data.Length);
        Assert.Equal(32, m.Get<NoncePayload>()!.Nonce.Length);
        Assert.NotNull(m.Notify(NotifyType.NatDetectionSourceIp));
        Assert.NotNull(m.Notify(NotifyType.NatDetectionDestinationIp));
        Assert.Equal(bytes, new IkeMessage(h, m.Payloads).Encode(null));
    }

    [Fact]
    public void The_engine_answers_a_real_ike_sa_init()
    {
        var config = MakeConfig(Connection(left: false, ike: "aes128-sha1-modp1024"));
        var logger = new CapturingLogger("right");
        var engine = new IkeEngine(config, new IkeEngineOptions { Random = new Random(7).NextBytes }, logger);
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        engine.HandleDatagram(now, new IPEndPoint(RightAddress, 500), new IPEndPoint(LeftAddress, 500), Convert.FromHexString(AndroidIkeSaInit));
        Assert.True(engine.TryDequeueTransmit(out IkeTransmit? t), logger.ToString());
        Assert.True(IkeHeader.TryParse(t!.Data, out IkeHeader h, out _));
        Assert.True(h.IsResponse);
        Assert.Equal(0x8f54bf6d8b48e6e1UL, h.InitiatorSpi);
        Assert.NotEqual(0UL, h.ResponderSpi);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(t.Data, h, null, out IkeMessage? m, out _, out _));
        Assert.Null(m!.ErrorNotify);
        Assert.Equal("aes128-prfsha1-sha1-modp1024", ProposalMatcher.Describe(m.Get<SaPayload>()!.Proposals));
        Assert.Equal((ushort)2, m.Get<KePayload>()!.Group);
        // The peer sent NAT-D hashes for other addresses: seen as NAT on both sides.
        IkeSa sa = Assert.Single(engine.IkeSas);
        Assert.Equal(IkeSaState.Authenticating, sa.State);
    }
}
