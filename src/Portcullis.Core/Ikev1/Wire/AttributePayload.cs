using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>The Type of an Attribute payload (draft-dukes-ike-mode-cfg §3.2).</summary>
public enum AttributeMessageType : byte
{
    /// <summary>ISAKMP_CFG_REQUEST: asks for the attributes it lists (empty values, or values the sender would like).</summary>
    Request = 1,
    /// <summary>ISAKMP_CFG_REPLY: answers a REQUEST with the same Identifier.</summary>
    Reply = 2,
    /// <summary>ISAKMP_CFG_SET: tells the peer values it did not ask for (Mode Config push, XAUTH status).</summary>
    Set = 3,
    /// <summary>ISAKMP_CFG_ACK: acknowledges a SET, listing the attribute types it accepted.</summary>
    Ack = 4,
}

/// <summary>
/// Mode Config attribute types (draft-dukes-ike-mode-cfg §3.3) and XAUTH's (draft-beaulieu-ike-xauth §6.3, the
/// range 16520–16529). The values are the same 15-bit types as IKEv2's configuration attributes.
/// </summary>
public enum ModeConfigAttributeType : ushort
{
    /// <summary>INTERNAL_IP4_ADDRESS: an IPv4 address on the internal network (4 bytes, or empty to ask).</summary>
    InternalIp4Address = 1,
    /// <summary>INTERNAL_IP4_NETMASK: the internal network's netmask.</summary>
    InternalIp4Netmask = 2,
    /// <summary>INTERNAL_IP4_DNS: a DNS server.</summary>
    InternalIp4Dns = 3,
    /// <summary>INTERNAL_IP4_NBNS: a NetBIOS name server (WINS).</summary>
    InternalIp4Nbns = 4,
    /// <summary>INTERNAL_ADDRESS_EXPIRY: seconds the address is valid.</summary>
    InternalAddressExpiry = 5,
    /// <summary>APPLICATION_VERSION: free text about the sender's software.</summary>
    ApplicationVersion = 7,
    /// <summary>INTERNAL_IP6_ADDRESS: an IPv6 address (16 bytes) and its prefix length (1 byte), or empty.</summary>
    InternalIp6Address = 8,
    /// <summary>INTERNAL_IP6_DNS: a DNS server.</summary>
    InternalIp6Dns = 10,
    /// <summary>XAUTH-TYPE: the kind of XAUTH (0: generic, a user name and password).</summary>
    XauthType = 16520,
    /// <summary>XAUTH-USER-NAME.</summary>
    XauthUserName = 16521,
    /// <summary>XAUTH-USER-PASSWORD.</summary>
    XauthUserPassword = 16522,
    /// <summary>XAUTH-PASSCODE (token cards).</summary>
    XauthPasscode = 16523,
    /// <summary>XAUTH-MESSAGE: text for the user.</summary>
    XauthMessage = 16524,
    /// <summary>XAUTH-CHALLENGE.</summary>
    XauthChallenge = 16525,
    /// <summary>XAUTH-DOMAIN.</summary>
    XauthDomain = 16526,
    /// <summary>XAUTH-STATUS: 1 OK, 0 FAIL, in the server's SET.</summary>
    XauthStatus = 16527,
    /// <summary>XAUTH-NEXT-PIN.</summary>
    XauthNextPin = 16528,
    /// <summary>XAUTH-ANSWER.</summary>
    XauthAnswer = 16529,
}

/// <summary>Names of the attribute types, as the drafts and strongSwan's logs write them.</summary>
public static class ModeConfigAttributeTypeNames
{
    /// <summary><c>INTERNAL_IP4_ADDRESS</c>, <c>XAUTH_USER_NAME</c>, …, or <c>ATTRIBUTE(n)</c>.</summary>
    public static string RfcName(this ModeConfigAttributeType type) => type switch
    {
        ModeConfigAttributeType.InternalIp4Address => "INTERNAL_IP4_ADDRESS",
        ModeConfigAttributeType.InternalIp4Netmask => "INTERNAL_IP4_NETMASK",
        ModeConfigAttributeType.InternalIp4Dns => "INTERNAL_IP4_DNS",
        ModeConfigAttributeType.InternalIp4Nbns => "INTERNAL_IP4_NBNS",
        ModeConfigAttributeType.InternalAddressExpiry => "INTERNAL_ADDRESS_EXPIRY",
        ModeConfigAttributeType.ApplicationVersion => "APPLICATION_VERSION",
        ModeConfigAttributeType.InternalIp6Address => "INTERNAL_IP6_ADDRESS",
        ModeConfigAttributeType.InternalIp6Dns => "INTERNAL_IP6_DNS",
        ModeConfigAttributeType.XauthType => "XAUTH_TYPE",
        ModeConfigAttributeType.XauthUserName => "XAUTH_USER_NAME",
        ModeConfigAttributeType.XauthUserPassword => "XAUTH_USER_PASSWORD",
        ModeConfigAttributeType.XauthPasscode => "XAUTH_PASSCODE",
        ModeConfigAttributeType.XauthMessage => "XAUTH_MESSAGE",
        ModeConfigAttributeType.XauthChallenge => "XAUTH_CHALLENGE",
        ModeConfigAttributeType.XauthDomain => "XAUTH_DOMAIN",
        ModeConfigAttributeType.XauthStatus => "XAUTH_STATUS",
        ModeConfigAttributeType.XauthNextPin => "XAUTH_NEXT_PIN",
        ModeConfigAttributeType.XauthAnswer => "XAUTH_ANSWER",
        _ => $"ATTRIBUTE({(ushort)type})",
    };

    /// <summary>An XAUTH attribute (16520–16529): the message belongs to XAUTH rather than Mode Config.</summary>
    public static bool IsXauth(this ModeConfigAttributeType type) => (ushort)type is >= 16520 and <= 16529;
}

/// <summary>
/// Attribute payload (type 14) of the Transaction exchange, carrying Mode Config and XAUTH
/// (draft-dukes-ike-mode-cfg §3.2):
/// <code>
///  Type (1) | RESERVED (1) | Identifier (2) | Attributes (TV or TLV each, as the Data Attributes of RFC 2408 §3.3)
/// </code>
/// A REPLY or ACK carries the Identifier of the REQUEST or SET it answers.
/// </summary>
public sealed class AttributePayload(AttributeMessageType messageType, ushort identifier, IReadOnlyList<DataAttribute> attributes) : IsakmpPayload
{
    /// <inheritdoc />
    public override IsakmpPayloadType Type => IsakmpPayloadType.Attributes;

    /// <summary>REQUEST, REPLY, SET or ACK.</summary>
    public AttributeMessageType MessageType { get; } = messageType;

    /// <summary>Pairs a REPLY with its REQUEST, an ACK with its SET.</summary>
    public ushort Identifier { get; } = identifier;

    /// <summary>The attributes, in order.</summary>
    public IReadOnlyList<DataAttribute> Attributes { get; } = attributes;

    /// <summary>The first attribute of a type, if any.</summary>
    public DataAttribute? Find(ModeConfigAttributeType type)
    {
        foreach (DataAttribute a in Attributes)
            if (a.Type == (ushort)type) return a;
        return null;
    }

    /// <summary>Every attribute of a type.</summary>
    public IEnumerable<DataAttribute> All(ModeConfigAttributeType type) => Attributes.Where(a => a.Type == (ushort)type);

    /// <summary>The attribute types, for logs (never the values: a REPLY may hold a password).</summary>
    public string Describe() => $"{MessageType.ToString().ToUpperInvariant()} {string.Join(' ', Attributes.Select(a => ((ModeConfigAttributeType)a.Type).RfcName()))}";

    /// <inheritdoc />
    public override int BodyLength => 4 + Attributes.Sum(a => a.Length);

    /// <inheritdoc />
    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)MessageType;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Identifier);
        int offset = 4;
        foreach (DataAttribute a in Attributes) offset += a.Write(destination[offset..]);
    }

    /// <summary>Parses the body; the attributes must fill it exactly.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out AttributePayload? payload, out ParseError error)
    {
        payload = null;
        error = default;
        if (body.Length < 4) { error = new("Attribute payload Identifier", $"body of {body.Length} bytes, need 4"); return false; }
        if (body[0] is < 1 or > 4) { error = new("Attribute payload Type", $"{body[0]} (1 REQUEST, 2 REPLY, 3 SET, 4 ACK)"); return false; }
        var attributes = new List<DataAttribute>();
        if (!DataAttribute.TryParseAll(body[4..], attributes, out ParseError inner))
        {
            error = new($"Attribute payload {inner.Field}", inner.Reason);
            return false;
        }
        payload = new AttributePayload((AttributeMessageType)body[0], BinaryPrimitives.ReadUInt16BigEndian(body[2..]), attributes);
        return true;
    }
}
