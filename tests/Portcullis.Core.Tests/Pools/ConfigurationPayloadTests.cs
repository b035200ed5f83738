using System.Net;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Tests.Pools;

public class ConfigurationPayloadTests
{
    private static byte[] Body(Payload p)
    {
        var b = new byte[p.BodyLength];
        p.WriteBody(b);
        return b;
    }

    private static ConfigurationPayload Parse(byte[] body)
    {
        Assert.True(ConfigurationPayload.TryParse(body, out ConfigurationPayload? cp, out ParseError error), error.ToString());
        return cp!;
    }

    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    [Fact]
    public void A_request_as_strongswan_sends_it_for_vips_0_0_0_0_is_an_empty_address_and_an_empty_dns()
    {
        ConfigurationPayload cp = ConfigurationPayload.VirtualIpRequest([IPAddress.Any]);
        // CFG_REQUEST, 3 reserved, INTERNAL_IP4_ADDRESS length 0, INTERNAL_IP4_DNS length 0.
        Assert.Equal(Convert.FromHexString("01000000" + "00010000" + "00030000"), Body(cp));
        ConfigurationPayload back = Parse(Body(cp));
        Assert.Equal(ConfigType.Request, back.ConfigType);
        Assert.Equal(IPAddress.Any, back.RequestedIp4Address);
        Assert.Null(back.RequestedIp6Address);
        Assert.True(back.Has(ConfigurationAttributeType.InternalIp4Dns));
        Assert.Empty(back.Dns);
    }

    [Fact]
    public void A_request_for_a_known_address_carries_it_and_ipv6_carries_a_prefix_length()
    {
        ConfigurationPayload cp = ConfigurationPayload.VirtualIpRequest([Ip("198.18.100.7"), Ip("2001:db8::7")], askDns: false);
        Assert.Equal(Convert.FromHexString("01000000" + "00010004c6126407" + "0008001120010db8000000000000000000000007" + "40"), Body(cp));
        ConfigurationPayload back = Parse(Body(cp));
        Assert.Equal(Ip("198.18.100.7"), back.RequestedIp4Address);
        Assert.Equal(Ip("2001:db8::7"), back.RequestedIp6Address);
        Assert.Equal([Ip("198.18.100.7"), Ip("2001:db8::7")], back.Addresses);
        Assert.False(back.Has(ConfigurationAttributeType.InternalIp4Dns));
        // An empty INTERNAL_IP6_ADDRESS is "any IPv6 address".
        Assert.Equal(IPAddress.IPv6Any, Parse(Body(ConfigurationPayload.VirtualIpRequest([IPAddress.IPv6Any]))).RequestedIp6Address);
    }

    [Fact]
    public void A_reply_carries_the_address_without_netmask_then_each_dns_server_once()
    {
        ConfigurationPayload cp = ConfigurationPayload.VirtualIpReply([Ip("198.18.100.1")], [Ip("198.18.0.53"), Ip("2001:db8::53"), Ip("198.18.0.53")], [Ip("198.18.0.137")]);
        Assert.Equal(Convert.FromHexString("02000000" + "00010004c6126401" + "00030004c6120035" + "000a001020010db8000000000000000000000053" + "00040004c6120089"),
            Body(cp));
        ConfigurationPayload back = Parse(Body(cp));
        Assert.Equal(ConfigType.Reply, back.ConfigType);
        Assert.Equal([Ip("198.18.100.1")], back.Ip4Addresses);
        Assert.Empty(back.Ip6Addresses);
        Assert.Null(back.Ip4Netmask);
        Assert.Equal([Ip("198.18.0.53"), Ip("2001:db8::53")], back.Dns);
        Assert.Equal([Ip("198.18.0.137")], back.Nbns);
        Assert.Equal("CP(CFG_REPLY: INTERNAL_IP4_ADDRESS 198.18.100.1, INTERNAL_IP4_DNS 198.18.0.53, INTERNAL_IP6_DNS 2001:db8::53, INTERNAL_IP4_NBNS 198.18.0.137)",
            back.ToString());
        ConfigurationPayload v6 = Parse(Body(ConfigurationPayload.VirtualIpReply([Ip("2001:db8::100")], [], ip6PrefixLength: 64)));
        Assert.Equal([(Ip("2001:db8::100"), 64)], v6.Ip6Addresses);
    }

    [Fact]
    public void Every_attribute_type_round_trips_through_a_message()
    {
        ConfigurationAttribute[] attributes =
        [
            ConfigurationAttribute.Ip4Address(Ip("198.18.100.9")),
            ConfigurationAttribute.ForAddress(ConfigurationAttributeType.InternalIp4Netmask, Ip("255.255.255.0")),
            ConfigurationAttribute.Dns(Ip("198.18.0.53")),
            ConfigurationAttribute.Nbns(Ip("198.18.0.137")),
            ConfigurationAttribute.ForAddress(ConfigurationAttributeType.InternalIp4Dhcp, Ip("198.18.0.67")),
            new(ConfigurationAttributeType.ApplicationVersion, "portcullis 0.1"u8),
            ConfigurationAttribute.Ip6Address(Ip("2001:db8::9"), 120),
            ConfigurationAttribute.Dns(Ip("2001:db8::53")),
            ConfigurationAttribute.Nbns(Ip("2001:db8::137")),
            ConfigurationAttribute.ForAddress(ConfigurationAttributeType.InternalIp6Dhcp, Ip("2001:db8::67")),
            new(ConfigurationAttributeType.InternalIp4Subnet, Convert.FromHexString("c6120200ffffff00")),
            new(ConfigurationAttributeType.SupportedAttributes, Convert.FromHexString("000100030008")),
            new(ConfigurationAttributeType.InternalIp6Subnet, Convert.FromHexString("20010db8000000020000000000000000" + "40")),
            new(ConfigurationAttributeType.InternalDnsDomain, "example.org"u8),
            ConfigurationAttribute.Empty(ConfigurationAttributeType.MsInternalIp4Server),
            new((ConfigurationAttributeType)28676, [1, 2, 3]), // Cisco Unity split include: kept as a number
        ];
        var cp = new ConfigurationPayload(ConfigType.Set, attributes);
        var header = new IkeHeader(1, 2, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.Informational, IkeHeaderFlags.Initiator, 4, 0);
        byte[] bytes = new IkeMessage(header, [cp, NotifyPayload.Of(NotifyType.InitialContact)]).Encode(null);
        Assert.True(IkeHeader.TryParse(bytes, out IkeHeader h, out _));
        Assert.Equal(PayloadType.Configuration, h.NextPayload);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(bytes, h, null, out IkeMessage? m, out ParseError error, out _));
        Assert.True(m is not null, error.ToString());
        ConfigurationPayload back = m!.Get<ConfigurationPayload>()!;
        Assert.Equal(ConfigType.Set, back.ConfigType);
        Assert.Equal(attributes.Select(a => a.Type), back.Attributes.Select(a => a.Type));
        Assert.Equal(attributes.Select(a => a.Value.ToArray()), back.Attributes.Select(a => a.Value.ToArray()));
        Assert.Equal(120, back.Attributes[6].PrefixLength);
        Assert.Equal(Ip("198.18.2.0"), back.Attributes[10].Address);
        Assert.Equal("ATTRIBUTE(28676) (3 bytes)", back.Attributes[15].ToString());
        Assert.Equal(bytes, new IkeMessage(h, m.Payloads).Encode(null));
    }

    /// <summary>
    /// A CFG_REQUEST and a CFG_REPLY from another implementation: the encoded payloads (generic header included) in the
    /// Android IKE library's IkeConfigPayloadTest (AOSP, packages/modules/IPsec, Apache-2.0).
    /// </summary>
    private const string AndroidRequest = "2900001801000000000100000008000000030000000a0000";

    private const string AndroidReply = "210000200200000000010004c000026400030004080808080003000408080404";

    [Fact]
    public void Android_s_request_and_reply_parse_and_re_encode_byte_for_byte()
    {
        byte[] request = Convert.FromHexString(AndroidRequest);
        ConfigurationPayload req = Parse(request[Payload.HeaderSize..]);
        Assert.Equal(ConfigType.Request, req.ConfigType);
        Assert.Equal([ConfigurationAttributeType.InternalIp4Address, ConfigurationAttributeType.InternalIp6Address, ConfigurationAttributeType.InternalIp4Dns,
            ConfigurationAttributeType.InternalIp6Dns], req.Attributes.Select(a => a.Type));
        Assert.Equal(IPAddress.Any, req.RequestedIp4Address);
        Assert.Equal(IPAddress.IPv6Any, req.RequestedIp6Address);
        var again = new byte[req.Length];
        req.Write(again, PayloadType.Notify);
        Assert.Equal(request, again);

        byte[] reply = Convert.FromHexString(AndroidReply);
        ConfigurationPayload rep = Parse(reply[Payload.HeaderSize..]);
        Assert.Equal(ConfigType.Reply, rep.ConfigType);
        Assert.Equal([Ip("192.0.2.100")], rep.Ip4Addresses);
        Assert.Equal([Ip("8.8.8.8"), Ip("8.8.4.4")], rep.Dns);
        again = new byte[rep.Length];
        rep.Write(again, PayloadType.SecurityAssociation);
        Assert.Equal(reply, again);
    }

    [Fact]
    public void Every_truncation_is_refused_with_the_field_or_parses_at_an_attribute_boundary()
    {
        byte[] body = Body(ConfigurationPayload.VirtualIpReply([Ip("198.18.100.1"), Ip("2001:db8::1")], [Ip("198.18.0.53"), Ip("2001:db8::53")]));
        int[] boundaries = [4, 12, 33, 41, 61];
        for (int n = 0; n < body.Length; n++)
        {
            bool ok = ConfigurationPayload.TryParse(body.AsSpan(0, n), out ConfigurationPayload? cp, out ParseError error);
            if (boundaries.Contains(n))
            {
                Assert.True(ok, $"{n}: {error}");
                Assert.Equal(Array.IndexOf(boundaries, n), cp!.Attributes.Count);
                continue;
            }
            Assert.False(ok, $"{n} bytes parsed");
            Assert.Null(cp);
            if (n < 4) Assert.Equal("CFG Type", error.Field);
            else Assert.Matches(@"^Configuration Attribute \d (Attribute Type|Length)$", error.Field);
        }
    }

    [Theory]
    [InlineData("0001" + "0003" + "c61264", "Configuration Attribute 1 Length", "INTERNAL_IP4_ADDRESS value of 3 bytes is not allowed")]
    [InlineData("0008" + "0010" + "20010db8000000000000000000000001", "Configuration Attribute 1 Length", "INTERNAL_IP6_ADDRESS value of 16 bytes is not allowed")]
    [InlineData("000e" + "0003" + "000100", "Configuration Attribute 1 Length", "SUPPORTED_ATTRIBUTES value of 3 bytes is not allowed")]
    [InlineData("00010000" + "000d0004c6120200", "Configuration Attribute 2 Length", "INTERNAL_IP4_SUBNET value of 4 bytes is not allowed")]
    [InlineData("00030008c6120035", "Configuration Attribute 1 Length", "INTERNAL_IP4_DNS value of 8 bytes with 4 left")]
    [InlineData("000a00", "Configuration Attribute 1 Attribute Type", "attribute header truncated: 3 bytes left, need 4")]
    public void Bad_attributes_are_refused_naming_the_field(string attributesHex, string field, string reason)
    {
        byte[] body = Convert.FromHexString("01000000" + attributesHex);
        Assert.False(ConfigurationPayload.TryParse(body, out _, out ParseError error));
        Assert.Equal(new ParseError(field, reason), error);
    }

    [Fact]
    public void The_reserved_bit_is_ignored_and_unknown_cfg_types_and_attributes_are_kept()
    {
        // R bit set on INTERNAL_IP4_ADDRESS; CFG type 9; a private attribute with any length.
        ConfigurationPayload cp = Parse(Convert.FromHexString("09000000" + "80010004c6126405" + "5bad0001ff"));
        Assert.Equal((ConfigType)9, cp.ConfigType);
        Assert.Equal(ConfigurationAttributeType.InternalIp4Address, cp.Attributes[0].Type);
        Assert.Equal(Ip("198.18.100.5"), cp.Attributes[0].Address);
        Assert.Equal((ConfigurationAttributeType)0x5bad, cp.Attributes[1].Type);
        Assert.Equal("CP(CFG(9): INTERNAL_IP4_ADDRESS 198.18.100.5, ATTRIBUTE(23469) (1 bytes))", cp.ToString());
        // Written back with the reserved bit clear.
        Assert.Equal(Convert.FromHexString("09000000" + "00010004c6126405" + "5bad0001ff"), Body(cp));
    }

    [Fact]
    public void The_chain_parser_returns_a_configuration_payload()
    {
        byte[] payload = Convert.FromHexString(AndroidReply);
        payload[0] = 0; // last payload
        var list = new List<Payload>();
        Assert.True(Payload.TryParseChain(PayloadType.Configuration, payload, list, out _, out _, out ParseError error), error.ToString());
        Assert.IsType<ConfigurationPayload>(Assert.Single(list));
        payload[4 + 4 + 3] = 5; // first attribute's length: 5 bytes for an IPv4 address
        list.Clear();
        Assert.False(Payload.TryParseChain(PayloadType.Configuration, payload, list, out _, out _, out error));
        Assert.Equal("Configuration Attribute 1 Length", error.Field);
    }

    [Fact]
    public void Random_and_mutated_bodies_never_throw()
    {
        var rng = new Random(47);
        byte[] good = Body(ConfigurationPayload.VirtualIpReply([Ip("198.18.100.1"), Ip("2001:db8::1")], [Ip("198.18.0.53")], [Ip("2001:db8::137")]));
        int parsed = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] b;
            if (i % 2 == 0)
            {
                b = new byte[rng.Next(0, 64)];
                rng.NextBytes(b);
            }
            else
            {
                b = (byte[])good.Clone();
                for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                b = b[..rng.Next(b.Length + 1)];
            }
            if (ConfigurationPayload.TryParse(b, out ConfigurationPayload? cp, out _))
            {
                parsed++;
                // Whatever parses writes back to the same bytes, except the reserved bits.
                byte[] again = Body(cp!);
                Assert.Equal(b.Length, again.Length);
                Assert.Equal(b[0], again[0]);
            }
        }
        Assert.InRange(parsed, 100, 19900);
    }

    [Fact]
    public void Builders_refuse_what_cannot_be_encoded()
    {
        Assert.Throws<ArgumentException>(() => ConfigurationAttribute.Ip4Address(Ip("2001:db8::1")));
        Assert.Throws<ArgumentException>(() => ConfigurationAttribute.Ip6Address(Ip("198.18.0.1")));
        Assert.Throws<ArgumentException>(() => ConfigurationAttribute.ForAddress(ConfigurationAttributeType.InternalIp4Dns, Ip("2001:db8::1")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfigurationAttribute((ConfigurationAttributeType)0x8001, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfigurationAttribute.Ip6Address(Ip("2001:db8::1"), 129));
    }
}
