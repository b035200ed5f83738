namespace Portcullis.Core.Ikev1.Wire;

/// <summary>Phase 1 (ISAKMP SA) attribute classes (RFC 2409 Appendix A).</summary>
public enum IkeAttributeType : ushort
{
    /// <summary>Encryption Algorithm (basic).</summary>
    EncryptionAlgorithm = 1,
    /// <summary>Hash Algorithm (basic).</summary>
    HashAlgorithm = 2,
    /// <summary>Authentication Method (basic).</summary>
    AuthenticationMethod = 3,
    /// <summary>Group Description (basic).</summary>
    GroupDescription = 4,
    /// <summary>Group Type (basic).</summary>
    GroupType = 5,
    /// <summary>Group Prime/Irreducible Polynomial (variable).</summary>
    GroupPrime = 6,
    /// <summary>Life Type (basic).</summary>
    LifeType = 11,
    /// <summary>Life Duration (variable, or basic when it fits).</summary>
    LifeDuration = 12,
    /// <summary>PRF (basic; no PRF is defined, the HMAC of the hash algorithm is used).</summary>
    Prf = 13,
    /// <summary>Key Length (basic), in bits.</summary>
    KeyLength = 14,
    /// <summary>Field Size (basic).</summary>
    FieldSize = 15,
    /// <summary>Group Order (variable).</summary>
    GroupOrder = 16,
}

/// <summary>IPsec DOI SA attributes of Quick Mode transforms (RFC 2407 §4.5, RFC 3947 §5.1).</summary>
public enum IpsecAttributeType : ushort
{
    /// <summary>SA Life Type.</summary>
    SaLifeType = 1,
    /// <summary>SA Life Duration.</summary>
    SaLifeDuration = 2,
    /// <summary>Group Description (PFS).</summary>
    GroupDescription = 3,
    /// <summary>Encapsulation Mode.</summary>
    EncapsulationMode = 4,
    /// <summary>Authentication Algorithm.</summary>
    AuthenticationAlgorithm = 5,
    /// <summary>Key Length, in bits.</summary>
    KeyLength = 6,
    /// <summary>Key Rounds.</summary>
    KeyRounds = 7,
    /// <summary>Compress Dictionary Size.</summary>
    CompressDictionarySize = 8,
    /// <summary>Compress Private Algorithm.</summary>
    CompressPrivateAlgorithm = 9,
    /// <summary>Extended (64-bit) Sequence Number (RFC 4304 §2): value 1 asks for ESN.</summary>
    ExtendedSequenceNumber = 11,
}

/// <summary>Authentication Method values (RFC 2409 Appendix A, RFC 4754).</summary>
public enum AuthenticationMethod : ushort
{
    /// <summary>Pre-shared key.</summary>
    PreSharedKey = 1,
    /// <summary>DSS signatures.</summary>
    DssSignatures = 2,
    /// <summary>RSA signatures.</summary>
    RsaSignatures = 3,
    /// <summary>Encryption with RSA.</summary>
    RsaEncryption = 4,
    /// <summary>Revised encryption with RSA.</summary>
    RevisedRsaEncryption = 5,
    /// <summary>ECDSA with SHA-256 on the P-256 curve (RFC 4754).</summary>
    EcdsaSha256 = 9,
    /// <summary>ECDSA with SHA-384 on the P-384 curve (RFC 4754).</summary>
    EcdsaSha384 = 10,
    /// <summary>ECDSA with SHA-512 on the P-521 curve (RFC 4754).</summary>
    EcdsaSha512 = 11,
    /// <summary>A pre-shared key, then XAUTH of the phase 1 initiator (draft-beaulieu-ike-xauth §7.2).</summary>
    XauthInitPreShared = 65001,
    /// <summary>A pre-shared key, then XAUTH of the phase 1 responder.</summary>
    XauthRespPreShared = 65002,
    /// <summary>RSA signatures, then XAUTH of the phase 1 initiator.</summary>
    XauthInitRsa = 65005,
    /// <summary>RSA signatures, then XAUTH of the phase 1 responder.</summary>
    XauthRespRsa = 65006,
}

/// <summary>Life Type values, the same in phase 1 and phase 2 (RFC 2409 Appendix A, RFC 2407 §4.5).</summary>
public enum LifeType : ushort
{
    /// <summary>Seconds.</summary>
    Seconds = 1,
    /// <summary>Kilobytes.</summary>
    Kilobytes = 2,
}

/// <summary>Encapsulation Mode values (RFC 2407 §4.5, RFC 3947 §5.1).</summary>
public enum EncapsulationMode : ushort
{
    /// <summary>Tunnel.</summary>
    Tunnel = 1,
    /// <summary>Transport.</summary>
    Transport = 2,
    /// <summary>UDP-Encapsulated-Tunnel (RFC 3947).</summary>
    UdpEncapsulatedTunnel = 3,
    /// <summary>UDP-Encapsulated-Transport (RFC 3947).</summary>
    UdpEncapsulatedTransport = 4,
    /// <summary>The value the NAT-T drafts used for UDP-Encapsulated-Tunnel.</summary>
    DraftUdpEncapsulatedTunnel = 61443,
    /// <summary>The value the NAT-T drafts used for UDP-Encapsulated-Transport.</summary>
    DraftUdpEncapsulatedTransport = 61444,
}

/// <summary>Protocol IDs of the IPsec DOI (RFC 2407 §4.4.1).</summary>
public enum IsakmpProtocolId : byte
{
    /// <summary>None (a notify about no SA in particular).</summary>
    None = 0,
    /// <summary>PROTO_ISAKMP.</summary>
    Isakmp = 1,
    /// <summary>PROTO_IPSEC_AH.</summary>
    IpsecAh = 2,
    /// <summary>PROTO_IPSEC_ESP.</summary>
    IpsecEsp = 3,
    /// <summary>PROTO_IPCOMP.</summary>
    IpComp = 4,
}
