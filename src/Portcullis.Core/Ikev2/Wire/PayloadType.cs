namespace Portcullis.Core.Ikev2.Wire;

/// <summary>IKEv2 payload types (RFC 7296 §3.2).</summary>
public enum PayloadType : byte
{
    /// <summary>No Next Payload.</summary>
    None = 0,
    /// <summary>Security Association.</summary>
    SecurityAssociation = 33,
    /// <summary>Key Exchange.</summary>
    KeyExchange = 34,
    /// <summary>Identification - Initiator.</summary>
    IdInitiator = 35,
    /// <summary>Identification - Responder.</summary>
    IdResponder = 36,
    /// <summary>Certificate.</summary>
    Certificate = 37,
    /// <summary>Certificate Request.</summary>
    CertificateRequest = 38,
    /// <summary>Authentication.</summary>
    Authentication = 39,
    /// <summary>Nonce.</summary>
    Nonce = 40,
    /// <summary>Notify.</summary>
    Notify = 41,
    /// <summary>Delete.</summary>
    Delete = 42,
    /// <summary>Vendor ID.</summary>
    VendorId = 43,
    /// <summary>Traffic Selector - Initiator.</summary>
    TrafficSelectorInitiator = 44,
    /// <summary>Traffic Selector - Responder.</summary>
    TrafficSelectorResponder = 45,
    /// <summary>Encrypted and Authenticated (SK).</summary>
    Encrypted = 46,
    /// <summary>Configuration.</summary>
    Configuration = 47,
    /// <summary>Extensible Authentication.</summary>
    Eap = 48,
    /// <summary>Encrypted and Authenticated Fragment (RFC 7383).</summary>
    EncryptedFragment = 53,
}
