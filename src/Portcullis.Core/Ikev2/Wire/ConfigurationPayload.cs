using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>The CFG Type of a Configuration payload (RFC 7296 §3.15).</summary>
public enum ConfigType : byte
{
    /// <summary>CFG_REQUEST: the initiator asks (in IKE_AUTH).</summary>
    Request = 1,
    /// <summary>CFG_REPLY: the responder's answer.</summary>
    Reply = 2,
    /// <summary>CFG_SET: one side pushes values.</summary>
    Set = 3,
    /// <summary>CFG_ACK: acknowledges a CFG_SET.</summary>
    Ack = 4,
}

/// <summary>
/// Configuration payload, CP (RFC 7296 §3.15):
/// <code>
///  CFG Type (1) | RESERVED (3) | Configuration Attributes
/// </code>
/// A remote-access client sends a CFG_REQUEST in IKE_AUTH (INTERNAL_IP4_ADDRESS empty: "give me an address"; with a
/// value: "I would like this one") and the gateway answers with a CFG_REPLY carrying the address and its DNS servers.
/// CFG types outside 1-4 are kept as read, for the caller to ignore (as strongSwan does).
/// </summary>
public sealed class ConfigurationPayload(ConfigType configType, IReadOnlyList<ConfigurationAttribute> attributes) : Payload
{
    /// <inheritdoc />
    public override PayloadType Type => PayloadType.Configuration;

    /// <summary>CFG_REQUEST, CFG_REPLY, CFG_SET or CFG_ACK.</summary>
    public ConfigType ConfigType { get; } = configType;

    /// <summary>The attributes, in order.</summary>
    public IReadOnlyList<ConfigurationAttribute> Attributes { get; } = attributes;

    /// <inheritdoc />
    public override int BodyLength
    {
        get
        {
            int n = 4;
            foreach (ConfigurationAttribute a in Attributes) n += a.Length;
            return n;
        }
    }

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)ConfigType;
        destination[1] = destination[2] = destination[3] = 0;
        int offset = 4;
        foreach (ConfigurationAttribute a in Attributes) offset += a.Write(destination[offset..]);
    }

    /// <summary>Parses the body: the CFG type and attributes up to its end, each within the body.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out ConfigurationPayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("CFG Type", $"CP body of {body.Length} bytes"); return false; }
        var attributes = new List<ConfigurationAttribute>();
        int offset = 4;
        while (offset < body.Length)
        {
            if (!ConfigurationAttribute.TryParse(body[offset..], out ConfigurationAttribute? attribute, out int consumed, out ParseError inner))
            {
                error = inner with { Field = $"Configuration Attribute {attributes.Count + 1} {inner.Field}" };
                return false;
            }
            attributes.Add(attribute!);
            offset += consumed;
        }
        payload = new ConfigurationPayload((ConfigType)body[0], attributes);
        return true;
    }

    // ---- building ----

    /// <summary>A CFG_REQUEST with these attributes.</summary>
    public static ConfigurationPayload Request(params ConfigurationAttribute[] attributes) => new(ConfigType.Request, attributes);

    /// <summary>A CFG_REPLY with these attributes.</summary>
    public static ConfigurationPayload Reply(params ConfigurationAttribute[] attributes) => new(ConfigType.Reply, attributes);

    /// <summary>
    /// A client's CFG_REQUEST for virtual IPs, as strongSwan's <c>vips</c> makes it: one INTERNAL_IP4/6_ADDRESS per
    /// entry (empty for <c>0.0.0.0</c> and <c>::</c>, the address itself to ask for it back), then, when
    /// <paramref name="askDns"/>, an empty INTERNAL_IP4/6_DNS for each family asked for.
    /// </summary>
    public static ConfigurationPayload VirtualIpRequest(IEnumerable<IPAddress> vips, bool askDns = true)
    {
        var attributes = new List<ConfigurationAttribute>();
        bool ip4 = false, ip6 = false;
        foreach (IPAddress vip in vips)
        {
            if (vip.AddressFamily == AddressFamily.InterNetwork) { attributes.Add(ConfigurationAttribute.Ip4Address(vip)); ip4 = true; }
            else { attributes.Add(ConfigurationAttribute.Ip6Address(vip)); ip6 = true; }
        }
        if (askDns && ip4) attributes.Add(ConfigurationAttribute.Empty(ConfigurationAttributeType.InternalIp4Dns));
        if (askDns && ip6) attributes.Add(ConfigurationAttribute.Empty(ConfigurationAttributeType.InternalIp6Dns));
        return new(ConfigType.Request, attributes);
    }

    /// <summary>
    /// A gateway's CFG_REPLY as strongSwan sends it: INTERNAL_IP4_ADDRESS (4 bytes, no netmask) or INTERNAL_IP6_ADDRESS
    /// (with <paramref name="ip6PrefixLength"/>) for each assigned address, then the DNS and NBNS servers, each once.
    /// </summary>
    public static ConfigurationPayload VirtualIpReply(IEnumerable<IPAddress> addresses, IEnumerable<IPAddress> dns, IEnumerable<IPAddress>? nbns = null,
        int ip6PrefixLength = 64)
    {
        var attributes = new List<ConfigurationAttribute>();
        foreach (IPAddress a in addresses)
            attributes.Add(a.AddressFamily == AddressFamily.InterNetwork ? ConfigurationAttribute.Ip4Address(a) : ConfigurationAttribute.Ip6Address(a, ip6PrefixLength));
        foreach (IPAddress d in dns.Distinct()) attributes.Add(ConfigurationAttribute.Dns(d));
        foreach (IPAddress n in (nbns ?? []).Distinct()) attributes.Add(ConfigurationAttribute.Nbns(n));
        return new(ConfigType.Reply, attributes);
    }

    // ---- reading ----

    /// <summary>
    /// Every INTERNAL_IP4_ADDRESS and INTERNAL_IP6_ADDRESS in order: in a request <see cref="IPAddress.Any"/> or
    /// <see cref="IPAddress.IPv6Any"/> for an empty one (any address will do), otherwise the address asked for; in a
    /// reply, the addresses assigned.
    /// </summary>
    public IReadOnlyList<IPAddress> Addresses =>
    [
        .. Attributes.Where(a => a.Type is ConfigurationAttributeType.InternalIp4Address or ConfigurationAttributeType.InternalIp6Address)
            .Select(a => a.Address ?? (a.Type == ConfigurationAttributeType.InternalIp4Address ? IPAddress.Any : IPAddress.IPv6Any)),
    ];

    /// <summary>
    /// The first INTERNAL_IP4_ADDRESS of a request: null when there is none, <see cref="IPAddress.Any"/> when it is
    /// empty ("give me one"), else the address the client would like.
    /// </summary>
    public IPAddress? RequestedIp4Address => Addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);

    /// <summary>The first INTERNAL_IP6_ADDRESS of a request: null, <see cref="IPAddress.IPv6Any"/> when empty, or the address wanted.</summary>
    public IPAddress? RequestedIp6Address => Addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);

    /// <summary>The IPv4 addresses a reply assigns (non-empty INTERNAL_IP4_ADDRESS values).</summary>
    public IReadOnlyList<IPAddress> Ip4Addresses => Values(ConfigurationAttributeType.InternalIp4Address);

    /// <summary>The IPv6 addresses a reply assigns, with their prefix lengths.</summary>
    public IReadOnlyList<(IPAddress Address, int PrefixLength)> Ip6Addresses =>
    [
        .. Attributes.Where(a => a.Type == ConfigurationAttributeType.InternalIp6Address && a.Address is not null).Select(a => (a.Address!, a.PrefixLength ?? 128)),
    ];

    /// <summary>The DNS servers of a reply, IPv4 and IPv6, in order.</summary>
    public IReadOnlyList<IPAddress> Dns =>
        [.. Attributes.Where(a => a.Type is ConfigurationAttributeType.InternalIp4Dns or ConfigurationAttributeType.InternalIp6Dns).Select(a => a.Address).OfType<IPAddress>()];

    /// <summary>The NBNS (WINS) servers of a reply, in order.</summary>
    public IReadOnlyList<IPAddress> Nbns =>
        [.. Attributes.Where(a => a.Type is ConfigurationAttributeType.InternalIp4Nbns or ConfigurationAttributeType.InternalIp6Nbns).Select(a => a.Address).OfType<IPAddress>()];

    /// <summary>The INTERNAL_IP4_NETMASK of a reply, if any.</summary>
    public IPAddress? Ip4Netmask => Values(ConfigurationAttributeType.InternalIp4Netmask).FirstOrDefault();

    /// <summary>Whether the payload has an attribute of this type (empty or not): in a request, whether the client asks for it.</summary>
    public bool Has(ConfigurationAttributeType type) => Attributes.Any(a => a.Type == type);

    private IReadOnlyList<IPAddress> Values(ConfigurationAttributeType type) =>
        [.. Attributes.Where(a => a.Type == type).Select(a => a.Address).OfType<IPAddress>()];

    /// <inheritdoc />
    public override string ToString() => $"CP({ConfigType switch
    {
        ConfigType.Request => "CFG_REQUEST",
        ConfigType.Reply => "CFG_REPLY",
        ConfigType.Set => "CFG_SET",
        ConfigType.Ack => "CFG_ACK",
        _ => $"CFG({(byte)ConfigType})",
    }}: {string.Join(", ", Attributes)})";
}
