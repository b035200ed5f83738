namespace Portcullis.Core.Ikev1.Wire;

/// <summary>ISAKMP Next Payload types (RFC 2408 §3.1, RFC 3947 §3.2 and §5.2).</summary>
public enum IsakmpPayloadType : byte
{
    /// <summary>No next payload.</summary>
    None = 0,
    /// <summary>Security Association (SA).</summary>
    SecurityAssociation = 1,
    /// <summary>Proposal (P), only inside an SA payload.</summary>
    Proposal = 2,
    /// <summary>Transform (T), only inside a Proposal payload.</summary>
    Transform = 3,
    /// <summary>Key Exchange (KE).</summary>
    KeyExchange = 4,
    /// <summary>Identification (ID).</summary>
    Identification = 5,
    /// <summary>Certificate (CERT).</summary>
    Certificate = 6,
    /// <summary>Certificate Request (CR).</summary>
    CertificateRequest = 7,
    /// <summary>Hash (HASH).</summary>
    Hash = 8,
    /// <summary>Signature (SIG).</summary>
    Signature = 9,
    /// <summary>Nonce (NONCE).</summary>
    Nonce = 10,
    /// <summary>Notification (N).</summary>
    Notification = 11,
    /// <summary>Delete (D).</summary>
    Delete = 12,
    /// <summary>Vendor ID (VID).</summary>
    VendorId = 13,
    /// <summary>Attributes (Mode Config).</summary>
    Attributes = 14,
    /// <summary>NAT Discovery (NAT-D, RFC 3947).</summary>
    NatDiscovery = 20,
    /// <summary>NAT Original Address (NAT-OA, RFC 3947).</summary>
    NatOriginalAddress = 21,
}

/// <summary>The short names strongSwan's and Wireshark's logs use.</summary>
public static class IsakmpPayloadTypeNames
{
    /// <summary><c>SA</c>, <c>KE</c>, <c>No</c>, <c>NAT-D</c>, …</summary>
    public static string ShortName(this IsakmpPayloadType type) => type switch
    {
        IsakmpPayloadType.SecurityAssociation => "SA",
        IsakmpPayloadType.KeyExchange => "KE",
        IsakmpPayloadType.Identification => "ID",
        IsakmpPayloadType.Certificate => "CERT",
        IsakmpPayloadType.CertificateRequest => "CERTREQ",
        IsakmpPayloadType.Hash => "HASH",
        IsakmpPayloadType.Signature => "SIG",
        IsakmpPayloadType.Nonce => "No",
        IsakmpPayloadType.Notification => "N",
        IsakmpPayloadType.Delete => "D",
        IsakmpPayloadType.VendorId => "V",
        IsakmpPayloadType.Attributes => "CP",
        IsakmpPayloadType.NatDiscovery => "NAT-D",
        IsakmpPayloadType.NatOriginalAddress => "NAT-OA",
        _ => ((byte)type).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
