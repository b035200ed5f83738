namespace Portcullis.Core.Ikev2.Wire;

/// <summary>IKEv2 Notify Message Types (RFC 7296 §3.10.1 and the IANA registry); errors are below 16384.</summary>
public enum NotifyType : ushort
{
    /// <summary>A critical payload type was not recognised.</summary>
    UnsupportedCriticalPayload = 1,
    /// <summary>The IKE SPI is not known.</summary>
    InvalidIkeSpi = 4,
    /// <summary>The major version is not supported.</summary>
    InvalidMajorVersion = 5,
    /// <summary>A message was malformed.</summary>
    InvalidSyntax = 7,
    /// <summary>A message ID was out of the window.</summary>
    InvalidMessageId = 9,
    /// <summary>An SPI was not known.</summary>
    InvalidSpi = 11,
    /// <summary>No proposal was acceptable.</summary>
    NoProposalChosen = 14,
    /// <summary>The KE group is not the one the responder wants; the data names the group it wants.</summary>
    InvalidKePayload = 17,
    /// <summary>Authentication failed.</summary>
    AuthenticationFailed = 24,
    /// <summary>A CHILD SA needs a single traffic selector pair.</summary>
    SinglePairRequired = 34,
    /// <summary>No additional SAs are accepted.</summary>
    NoAdditionalSas = 35,
    /// <summary>The responder could not assign an address from the pools (answer to a CFG_REQUEST).</summary>
    InternalAddressFailure = 36,
    /// <summary>The responder expected a CFG_REQUEST (it assigns virtual IPs) and got none.</summary>
    FailedCpRequired = 37,
    /// <summary>The traffic selectors are not acceptable.</summary>
    TsUnacceptable = 38,
    /// <summary>The SA is being rekeyed or deleted (RFC 7296 §2.25).</summary>
    TemporaryFailure = 43,
    /// <summary>The CHILD SA could not be created for another reason.</summary>
    ChildSaNotFound = 44,
    /// <summary>The new addresses of an UPDATE_SA_ADDRESSES are not acceptable (RFC 4555 §4.2.7).</summary>
    UnacceptableAddresses = 40,
    /// <summary>A NAT was found where NO_NATS_ALLOWED said there must be none (RFC 4555 §4.2.8).</summary>
    UnexpectedNatDetected = 41,
    /// <summary>The sender deleted every other IKE SA with this peer.</summary>
    InitialContact = 16384,
    /// <summary>Narrowed traffic selectors follow.</summary>
    AdditionalTsPossible = 16386,
    /// <summary>Transport mode is asked for.</summary>
    UseTransportMode = 16391,
    /// <summary>Hash of the sender's address and port (RFC 7296 §2.23).</summary>
    NatDetectionSourceIp = 16388,
    /// <summary>Hash of the receiver's address and port as the sender sees it.</summary>
    NatDetectionDestinationIp = 16389,
    /// <summary>A stateless cookie the initiator must echo (RFC 7296 §2.6).</summary>
    Cookie = 16390,
    /// <summary>Rekeying the CHILD SA with this SPI.</summary>
    RekeySa = 16393,
    /// <summary>ESP TFC padding is not supported.</summary>
    EspTfcPaddingNotSupported = 16394,
    /// <summary>Non-first fragments are not sent.</summary>
    NonFirstFragmentsAlso = 16395,
    /// <summary>MOBIKE is supported (RFC 4555).</summary>
    MobikeSupported = 16396,
    /// <summary>One more IPv4 address of the sender (RFC 4555 §4.2.2).</summary>
    AdditionalIp4Address = 16397,
    /// <summary>One more IPv6 address of the sender (RFC 4555 §4.2.2).</summary>
    AdditionalIp6Address = 16398,
    /// <summary>No additional addresses (RFC 4555).</summary>
    NoAdditionalAddresses = 16399,
    /// <summary>Move the IKE SA and its CHILD SAs to this message's addresses (RFC 4555 §4.2.4).</summary>
    UpdateSaAddresses = 16400,
    /// <summary>A return routability cookie the responder echoes (RFC 4555 §4.2.5).</summary>
    Cookie2 = 16401,
    /// <summary>The sender's view of the message's addresses and ports: no NAT may change them (RFC 4555 §4.2.6).</summary>
    NoNatsAllowed = 16402,
    /// <summary>IKE fragmentation is supported (RFC 7383).</summary>
    Ikev2FragmentationSupported = 16430,
    /// <summary>Hash algorithms for digital signatures (RFC 7427).</summary>
    SignatureHashAlgorithms = 16431,
}

/// <summary>Helpers for notify types.</summary>
public static class NotifyTypes
{
    /// <summary>Error notifies are 1..16383 (RFC 7296 §3.10.1).</summary>
    public static bool IsError(this NotifyType type) => (ushort)type < 16384;

    /// <summary>The RFC's upper-case name, for logs.</summary>
    public static string RfcName(this NotifyType type) => type switch
    {
        NotifyType.UnsupportedCriticalPayload => "UNSUPPORTED_CRITICAL_PAYLOAD",
        NotifyType.InvalidIkeSpi => "INVALID_IKE_SPI",
        NotifyType.InvalidMajorVersion => "INVALID_MAJOR_VERSION",
        NotifyType.InvalidSyntax => "INVALID_SYNTAX",
        NotifyType.InvalidMessageId => "INVALID_MESSAGE_ID",
        NotifyType.InvalidSpi => "INVALID_SPI",
        NotifyType.NoProposalChosen => "NO_PROPOSAL_CHOSEN",
        NotifyType.InvalidKePayload => "INVALID_KE_PAYLOAD",
        NotifyType.AuthenticationFailed => "AUTHENTICATION_FAILED",
        NotifyType.SinglePairRequired => "SINGLE_PAIR_REQUIRED",
        NotifyType.NoAdditionalSas => "NO_ADDITIONAL_SAS",
        NotifyType.InternalAddressFailure => "INTERNAL_ADDRESS_FAILURE",
        NotifyType.FailedCpRequired => "FAILED_CP_REQUIRED",
        NotifyType.TsUnacceptable => "TS_UNACCEPTABLE",
        NotifyType.TemporaryFailure => "TEMPORARY_FAILURE",
        NotifyType.ChildSaNotFound => "CHILD_SA_NOT_FOUND",
        NotifyType.UnacceptableAddresses => "UNACCEPTABLE_ADDRESSES",
        NotifyType.UnexpectedNatDetected => "UNEXPECTED_NAT_DETECTED",
        NotifyType.InitialContact => "INITIAL_CONTACT",
        NotifyType.AdditionalTsPossible => "ADDITIONAL_TS_POSSIBLE",
        NotifyType.UseTransportMode => "USE_TRANSPORT_MODE",
        NotifyType.NatDetectionSourceIp => "NAT_DETECTION_SOURCE_IP",
        NotifyType.NatDetectionDestinationIp => "NAT_DETECTION_DESTINATION_IP",
        NotifyType.Cookie => "COOKIE",
        NotifyType.RekeySa => "REKEY_SA",
        NotifyType.EspTfcPaddingNotSupported => "ESP_TFC_PADDING_NOT_SUPPORTED",
        NotifyType.NonFirstFragmentsAlso => "NON_FIRST_FRAGMENTS_ALSO",
        NotifyType.MobikeSupported => "MOBIKE_SUPPORTED",
        NotifyType.AdditionalIp4Address => "ADDITIONAL_IP4_ADDRESS",
        NotifyType.AdditionalIp6Address => "ADDITIONAL_IP6_ADDRESS",
        NotifyType.NoAdditionalAddresses => "NO_ADDITIONAL_ADDRESSES",
        NotifyType.UpdateSaAddresses => "UPDATE_SA_ADDRESSES",
        NotifyType.Cookie2 => "COOKIE2",
        NotifyType.NoNatsAllowed => "NO_NATS_ALLOWED",
        NotifyType.Ikev2FragmentationSupported => "IKEV2_FRAGMENTATION_SUPPORTED",
        NotifyType.SignatureHashAlgorithms => "SIGNATURE_HASH_ALGORITHMS",
        _ => $"NOTIFY({(ushort)type})",
    };
}
