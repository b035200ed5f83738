namespace Portcullis.Core.Ikev1.Wire;

/// <summary>
/// Notify Message Types: errors and status of ISAKMP (RFC 2408 §3.14.1), the IPsec DOI's status types (RFC 2407
/// §4.6.3) and DPD's (RFC 3706 §4).
/// </summary>
public enum NotifyMessageType : ushort
{
    /// <summary>INVALID-PAYLOAD-TYPE.</summary>
    InvalidPayloadType = 1,
    /// <summary>DOI-NOT-SUPPORTED.</summary>
    DoiNotSupported = 2,
    /// <summary>SITUATION-NOT-SUPPORTED.</summary>
    SituationNotSupported = 3,
    /// <summary>INVALID-COOKIE.</summary>
    InvalidCookie = 4,
    /// <summary>INVALID-MAJOR-VERSION.</summary>
    InvalidMajorVersion = 5,
    /// <summary>INVALID-MINOR-VERSION.</summary>
    InvalidMinorVersion = 6,
    /// <summary>INVALID-EXCHANGE-TYPE.</summary>
    InvalidExchangeType = 7,
    /// <summary>INVALID-FLAGS.</summary>
    InvalidFlags = 8,
    /// <summary>INVALID-MESSAGE-ID.</summary>
    InvalidMessageId = 9,
    /// <summary>INVALID-PROTOCOL-ID.</summary>
    InvalidProtocolId = 10,
    /// <summary>INVALID-SPI.</summary>
    InvalidSpi = 11,
    /// <summary>INVALID-TRANSFORM-ID.</summary>
    InvalidTransformId = 12,
    /// <summary>ATTRIBUTES-NOT-SUPPORTED.</summary>
    AttributesNotSupported = 13,
    /// <summary>NO-PROPOSAL-CHOSEN.</summary>
    NoProposalChosen = 14,
    /// <summary>BAD-PROPOSAL-SYNTAX.</summary>
    BadProposalSyntax = 15,
    /// <summary>PAYLOAD-MALFORMED.</summary>
    PayloadMalformed = 16,
    /// <summary>INVALID-KEY-INFORMATION.</summary>
    InvalidKeyInformation = 17,
    /// <summary>INVALID-ID-INFORMATION.</summary>
    InvalidIdInformation = 18,
    /// <summary>INVALID-CERT-ENCODING.</summary>
    InvalidCertEncoding = 19,
    /// <summary>INVALID-CERTIFICATE.</summary>
    InvalidCertificate = 20,
    /// <summary>CERT-TYPE-UNSUPPORTED.</summary>
    CertTypeUnsupported = 21,
    /// <summary>INVALID-CERT-AUTHORITY.</summary>
    InvalidCertAuthority = 22,
    /// <summary>INVALID-HASH-INFORMATION.</summary>
    InvalidHashInformation = 23,
    /// <summary>AUTHENTICATION-FAILED.</summary>
    AuthenticationFailed = 24,
    /// <summary>INVALID-SIGNATURE.</summary>
    InvalidSignature = 25,
    /// <summary>ADDRESS-NOTIFICATION.</summary>
    AddressNotification = 26,
    /// <summary>NOTIFY-SA-LIFETIME.</summary>
    NotifySaLifetime = 27,
    /// <summary>CERTIFICATE-UNAVAILABLE.</summary>
    CertificateUnavailable = 28,
    /// <summary>UNSUPPORTED-EXCHANGE-TYPE.</summary>
    UnsupportedExchangeType = 29,
    /// <summary>UNEQUAL-PAYLOAD-LENGTHS.</summary>
    UnequalPayloadLengths = 30,
    /// <summary>CONNECTED (status).</summary>
    Connected = 16384,
    /// <summary>RESPONDER-LIFETIME (RFC 2407 §4.6.3.1): the responder's shorter lifetime for a Quick Mode SA.</summary>
    ResponderLifetime = 24576,
    /// <summary>REPLAY-STATUS (RFC 2407 §4.6.3.2).</summary>
    ReplayStatus = 24577,
    /// <summary>INITIAL-CONTACT (RFC 2407 §4.6.3.3): the sender has no other SA with the receiver (it restarted).</summary>
    InitialContact = 24578,
    /// <summary>R-U-THERE (RFC 3706 §5.1).</summary>
    RUThere = 36136,
    /// <summary>R-U-THERE-ACK (RFC 3706 §5.1).</summary>
    RUThereAck = 36137,
}

/// <summary>The RFCs' names of notify types.</summary>
public static class NotifyMessageTypeNames
{
    /// <summary>An error type (below 16384, RFC 2408 §3.14.1).</summary>
    public static bool IsError(this NotifyMessageType type) => (ushort)type < 16384;

    /// <summary><c>NO-PROPOSAL-CHOSEN</c>, <c>INITIAL-CONTACT</c>, <c>R-U-THERE</c>, or the number.</summary>
    public static string RfcName(this NotifyMessageType type) => type switch
    {
        NotifyMessageType.RUThere => "R-U-THERE",
        NotifyMessageType.RUThereAck => "R-U-THERE-ACK",
        _ when Enum.IsDefined(type) => string.Concat(type.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + c : c.ToString())).ToUpperInvariant(),
        _ => $"notify type {(ushort)type}",
    };
}
