using System.Net;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ipsec;
using Portcullis.Core.Tests.Ikev2;
using IkeParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Tests.Ikev1;

public class Ikev1WireTests
{
    internal static IEnumerable<IsakmpPayload> Samples()
    {
        var phase1 = new TransformPayload(1, TransformPayload.KeyIke,
        [
            DataAttribute.Basic((ushort)IkeAttributeType.EncryptionAlgorithm, 7),
            DataAttribute.Basic((ushort)IkeAttributeType.KeyLength, 256),
            DataAttribute.Basic((ushort)IkeAttributeType.HashAlgorithm, 4),
            DataAttribute.Basic((ushort)IkeAttributeType.GroupDescription, 14),
            DataAttribute.Basic((ushort)IkeAttributeType.AuthenticationMethod, 1),
            DataAttribute.Basic((ushort)IkeAttributeType.LifeType, 1),
            DataAttribute.Number((ushort)IkeAttributeType.LifeDuration, 86400),
        ]);
        yield return new SaPayload([new ProposalPayload(1, IsakmpProtocolId.Isakmp, [], [phase1, new TransformPayload(2, 1, [DataAttribute.Basic(1, 5)])])]);
        yield return new SaPayload([new ProposalPayload(1, IsakmpProtocolId.IpsecEsp, [0xc0, 1, 2, 3], [new TransformPayload(1, 12, [DataAttribute.Basic(4, 3), DataAttribute.Basic(5, 5), DataAttribute.Basic(6, 128)])]),
            new ProposalPayload(2, IsakmpProtocolId.IpsecEsp, [0xc0, 1, 2, 3], [new TransformPayload(1, 20, [DataAttribute.Variable(2, [0, 1, 0, 0])])])]);
        yield return new KePayload(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        yield return IdPayload.FromIdentity(EnginePair.Id("@left.example"));
        yield return IdPayload.FromTrafficSelector(EnginePair.Ts("198.51.100.0/26"))!;
        yield return IdPayload.FromTrafficSelector(EnginePair.Ts("192.0.2.1[udp/1701]"))!;
        yield return IdPayload.FromTrafficSelector(EnginePair.Ts("2001:db8::1-2001:db8::9"))!;
        yield return new CertPayload(CertPayload.X509Signature, [0x30, 0x03, 0x02, 0x01, 0x05]);
        yield return new CertReqPayload(CertPayload.X509Signature, [0x30, 0x00]);
        yield return new HashPayload(new byte[32]);
        yield return new SignaturePayload(new byte[256]);
        yield return new NoncePayload(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        yield return NotificationPayload.ForIsakmpSa(NotifyMessageType.RUThere, 0x0102030405060708, 0x1112131415161718, [0, 0, 0, 9]);
        yield return new NotificationPayload(IsakmpProtocolId.IpsecEsp, NotifyMessageType.ResponderLifetime, [0xc0, 0, 0, 1], [0x80, 1, 0, 1, 0x80, 2, 0x0e, 0x10]);
        yield return DeletePayload.ForEsp([0xc0000001, 0xc0000002]);
        yield return DeletePayload.ForIsakmpSa(1, 2);
        yield return new VendorIdPayload(VendorIds.NatTraversal);
        yield return new NatDPayload(new byte[20]);
        yield return new NatOaPayload(IPAddress.Parse("192.0.2.1"));
        yield return new NatOaPayload(IPAddress.Parse("2001:db8::1"));
        yield return new AttributePayload(AttributeMessageType.Request, 0x1234,
            [DataAttribute.Variable((ushort)ModeConfigAttributeType.XauthUserName, []), DataAttribute.Variable((ushort)ModeConfigAttributeType.XauthUserPassword, [])]);
        yield return new AttributePayload(AttributeMessageType.Reply, 0xfffe,
            [DataAttribute.Variable((ushort)ModeConfigAttributeType.InternalIp4Address, [198, 18, 100, 1]), DataAttribute.Variable((ushort)ModeConfigAttributeType.InternalIp4Dns, [198, 18, 0, 53])]);
        yield return new AttributePayload(AttributeMessageType.Set, 1, [DataAttribute.Basic((ushort)ModeConfigAttributeType.XauthStatus, 1)]);
        yield return new AttributePayload(AttributeMessageType.Ack, 1, []);
        yield return new UnknownIsakmpPayload((IsakmpPayloadType)130, [9, 9, 9]);
    }

    private static IsakmpHeader TestHeader => new(0x0102030405060708, 0x1112131415161718, IsakmpPayloadType.None, IsakmpHeader.Version10,
        IsakmpExchangeType.Informational, IsakmpFlags.None, 7, 0);

    [Fact]
    public void Every_payload_round_trips_through_a_message()
    {
        IsakmpPayload[] payloads = Samples().ToArray();
        byte[] bytes = IsakmpMessage.Encode(TestHeader, payloads);
        Assert.True(IsakmpHeader.TryParse(bytes, out IsakmpHeader header, out _));
        Assert.Equal(TestHeader with { NextPayload = IsakmpPayloadType.SecurityAssociation, Length = (uint)bytes.Length }, header);
        Assert.True(IsakmpMessage.TryDecode(bytes, header, null, default, out IsakmpMessage? m, out _, out IkeParseError error), error.ToString());
        Assert.Equal(payloads.Length, m!.Payloads.Count);
        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(payloads[i].GetType(), m.Payloads[i].GetType());
            Assert.Equal(payloads[i].BodyBytes(), m.Payloads[i].BodyBytes());
        }
        Assert.Equal(bytes, IsakmpMessage.Encode(TestHeader, m.Payloads));
    }

    [Fact]
    public void Every_truncation_of_every_payload_is_refused_or_parsed_without_reading_past_it()
    {
        foreach (IsakmpPayload p in Samples())
        {
            byte[] chain = IsakmpPayload.EncodeChain([p]);
            for (int cut = 0; cut < chain.Length; cut++)
            {
                var list = new List<IsakmpPayload>();
                bool ok = IsakmpPayload.TryParseChain(p.Type, chain.AsSpan(0, cut), false, list, out _, out IkeParseError error);
                Assert.False(ok, $"{p.Type} cut at {cut} of {chain.Length} was accepted");
                Assert.False(string.IsNullOrEmpty(error.Field), $"{p.Type} cut at {cut}: no field named");
            }
            // The body alone, each length shorter than it, fixing the generic header's length so only the body is short.
            for (int cut = 0; cut < p.BodyLength; cut++)
            {
                byte[] shortened = chain[..(IsakmpPayload.HeaderSize + cut)];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(shortened.AsSpan(2), (ushort)shortened.Length);
                _ = IsakmpPayload.TryParseChain(p.Type, shortened, false, [], out _, out _);
            }
        }
    }

    [Fact]
    public void Random_mutations_never_throw()
    {
        var random = new Random(6);
        byte[] message = IsakmpMessage.Encode(TestHeader, Samples().ToArray());
        for (int round = 0; round < 5000; round++)
        {
            byte[] m = (byte[])message.Clone();
            for (int k = random.Next(1, 6); k > 0; k--) m[random.Next(m.Length)] = (byte)random.Next(256);
            int length = random.Next(m.Length + 1);
            if (!IsakmpHeader.TryParse(m.AsSpan(0, length), out IsakmpHeader header, out _)) continue;
            _ = IsakmpMessage.TryDecode(m.AsSpan(0, length), header with { Flags = header.Flags & ~IsakmpFlags.Encryption }, null, default, out _, out _, out _);
        }
    }

    [Fact]
    public void The_header_names_the_field_it_refuses()
    {
        Assert.False(IsakmpHeader.TryParse(new byte[27], out _, out IkeParseError e1));
        Assert.Equal("ISAKMP header", e1.Field);
        byte[] m = IsakmpMessage.Encode(TestHeader, [new HashPayload([1, 2, 3])]);
        Assert.False(IsakmpHeader.TryParse(m.AsSpan(0, m.Length - 1), out _, out IkeParseError e2));
        Assert.Equal("Length", e2.Field);
    }

    [Theory]
    [InlineData("00000002 00000001", "Domain of Interpretation")]
    [InlineData("00000001 00000002", "Situation")]
    [InlineData("00000001 00000001 00000008 01010000", "# of Transforms")]
    [InlineData("00000001 00000001 00000010 01010001", "Proposal Payload Length")]
    [InlineData("00000001 00000001 00000010 01010001 05000008 01010000", "Next Payload")]
    [InlineData("00000001 00000001 00000010 01010001 00000008 01010000 00", "Payload Length")]
    public void Bad_SA_payloads_are_refused_with_the_field(string hex, string field)
    {
        byte[] body = Convert.FromHexString(hex.Replace(" ", ""));
        Assert.False(SaPayload.TryParse(body, out _, out IkeParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Data_attributes_basic_and_variable()
    {
        DataAttribute life = DataAttribute.Number(12, 86400);
        Assert.False(life.IsBasic);
        Assert.Equal(86400UL, life.NumericValue);
        Assert.True(DataAttribute.Number(12, 3600).IsBasic);
        var parsed = new List<DataAttribute>();
        byte[] bytes = new byte[life.Length + 4];
        life.Write(bytes);
        DataAttribute.Basic(1, 7).Write(bytes.AsSpan(life.Length));
        Assert.True(DataAttribute.TryParseAll(bytes, parsed, out _));
        Assert.Equal([life, DataAttribute.Basic(1, 7)], parsed);
        Assert.False(DataAttribute.TryParseAll(bytes.AsSpan(0, 5), [], out IkeParseError error));
        Assert.Equal("Attribute Length", error.Field);
        Assert.False(DataAttribute.TryParseAll(bytes.AsSpan(0, 3), [], out error));
    }

    [Fact]
    public void Quick_Mode_identities_map_to_traffic_selectors_and_back()
    {
        foreach (string ts in (string[])["198.51.100.0/26", "192.0.2.1", "192.0.2.1[udp/1701]", "198.51.100.1-198.51.100.9", "2001:db8::/64[tcp/80]"])
        {
            TrafficSelector selector = EnginePair.Ts(ts);
            IdPayload id = IdPayload.FromTrafficSelector(selector)!;
            Assert.True(id.TryGetTrafficSelector(out TrafficSelector back, out string? problem), problem);
            Assert.Equal(selector, back);
        }
        Assert.Null(IdPayload.FromTrafficSelector(EnginePair.Ts("192.0.2.1[tcp/80-90]")));
        var holey = new IdPayload(Ikev1IdType.Ipv4AddrSubnet, 0, 0, [192, 0, 2, 0, 255, 0, 255, 0]);
        Assert.False(holey.TryGetTrafficSelector(out _, out string? why));
        Assert.Contains("not contiguous", why);
        Assert.Null(IdPayload.FromIdentity(EnginePair.Id("@x")).TryGetTrafficSelector(out _, out _) ? "" : null);
    }

    [Fact]
    public void Encrypted_bodies_round_trip_and_chain_their_IV()
    {
        var aes = TransformRegistry.Get<EncryptionTransform>("aes128");
        using var enc = new IsakmpEncryption(aes, new byte[16]);
        byte[] iv = new byte[16], ivCopy = (byte[])iv.Clone();
        IsakmpPayload[] payloads = [new HashPayload(new byte[20]), DeletePayload.ForEsp([0xc0000001])];
        byte[] datagram = IsakmpMessage.EncodeEncrypted(TestHeader, payloads, enc, iv);
        Assert.Equal(0, (datagram.Length - IsakmpHeader.Size) % 16);
        Assert.Equal(datagram[^16..], iv);
        Assert.True(IsakmpHeader.TryParse(datagram, out IsakmpHeader header, out _));
        Assert.True(header.IsEncrypted);
        Assert.True(IsakmpMessage.TryDecode(datagram, header, enc, ivCopy, out IsakmpMessage? m, out byte[] next, out IkeParseError error), error.ToString());
        Assert.Equal(iv, next);
        Assert.Equal(2, m!.Payloads.Count);
        Assert.Equal(IsakmpPayload.EncodeChain(payloads), m.Chain);
        // A wrong IV garbles the first block: the chain no longer parses, and the error says decryption may be at fault.
        Assert.False(IsakmpMessage.TryDecode(datagram, header, enc, new byte[16].Select(_ => (byte)1).ToArray(), out _, out _, out error));
        Assert.Contains("wrong key?", error.Reason);
        Assert.False(IsakmpMessage.TryDecode(datagram.AsSpan(0, datagram.Length - 1), header with { Length = header.Length - 1 }, enc, ivCopy, out _, out _, out error));
    }

    [Fact]
    public void Vendor_ids_are_recognised()
    {
        Assert.Equal("4a131c81070358455c5728f20e95452f", Convert.ToHexStringLower(VendorIds.NatTraversal));
        Assert.Equal("NAT-T (RFC 3947)", VendorIds.Name(VendorIds.NatTraversal));
        Assert.Equal("DPD", VendorIds.Name(VendorIds.Dpd));
        Assert.Equal("MS NT5 ISAKMPOAKLEY", VendorIds.Name([.. VendorIds.MsNt5IsakmpOakley, 0, 0, 0, 9]));
        Assert.Equal("Cisco Unity", VendorIds.Name(VendorIds.CiscoUnity));
        Assert.Null(VendorIds.Name([1, 2, 3]));
        Assert.Equal("R-U-THERE-ACK", NotifyMessageType.RUThereAck.RfcName());
        Assert.Equal("NO-PROPOSAL-CHOSEN", NotifyMessageType.NoProposalChosen.RfcName());
        Assert.Equal("INITIAL-CONTACT", NotifyMessageType.InitialContact.RfcName());
    }

    [Fact]
    public void The_Attribute_payload_writes_the_draft_layout_and_reads_TV_and_TLV_attributes()
    {
        var p = new AttributePayload(AttributeMessageType.Set, 0xabcd, [DataAttribute.Basic((ushort)ModeConfigAttributeType.XauthStatus, 1),
            DataAttribute.Variable((ushort)ModeConfigAttributeType.XauthMessage, "hi"u8)]);
        byte[] body = p.BodyBytes();
        // Type, RESERVED, Identifier; XAUTH-STATUS as TV (AF bit set); XAUTH-MESSAGE as TLV.
        Assert.Equal(Convert.FromHexString("0300ABCD" + "C08F0001" + "408C0002" + "6869"), body);
        Assert.True(AttributePayload.TryParse(body, out AttributePayload? back, out IkeParseError error), error.ToString());
        Assert.Equal(AttributeMessageType.Set, back!.MessageType);
        Assert.Equal(0xabcd, back.Identifier);
        Assert.Equal(1UL, back.Find(ModeConfigAttributeType.XauthStatus)!.Value.NumericValue);
        Assert.Equal("hi"u8.ToArray(), back.Find(ModeConfigAttributeType.XauthMessage)!.Value.VariableValue.ToArray());
        Assert.Equal("SET XAUTH_STATUS XAUTH_MESSAGE", back.Describe());
    }

    [Theory]
    [InlineData("", "Attribute payload Identifier")]
    [InlineData("0100", "Attribute payload Identifier")]
    [InlineData("05000001", "Attribute payload Type")]
    [InlineData("00000001", "Attribute payload Type")]
    [InlineData("01000001" + "4001", "Attribute payload Data Attributes")]
    [InlineData("01000001" + "40010005" + "C612", "Attribute payload Attribute Length")]
    public void A_malformed_Attribute_payload_is_refused_naming_the_field(string hex, string field)
    {
        Assert.False(AttributePayload.TryParse(Convert.FromHexString(hex), out AttributePayload? p, out IkeParseError error));
        Assert.Null(p);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Random_Attribute_payload_bodies_never_throw()
    {
        var random = new Random(6);
        for (int i = 0; i < 20000; i++)
        {
            byte[] body = new byte[random.Next(0, 40)];
            random.NextBytes(body);
            if (body.Length > 0 && random.Next(2) == 0) body[0] = (byte)random.Next(1, 5);
            bool ok = AttributePayload.TryParse(body, out AttributePayload? p, out IkeParseError error);
            // RESERVED is written as zero.
            if (ok) Assert.Equal(body.Skip(2), p!.BodyBytes().Skip(2));
            else Assert.StartsWith("Attribute payload", error.Field);
        }
    }
}
