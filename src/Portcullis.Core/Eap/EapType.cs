namespace Portcullis.Core.Eap;

/// <summary>EAP method types (RFC 3748 §5 and IANA's registry): the ones Portcullis speaks and the ones a peer may ask for.</summary>
public enum EapType : byte
{
    /// <summary>Identity (RFC 3748 §5.1).</summary>
    Identity = 1,
    /// <summary>Notification (RFC 3748 §5.2).</summary>
    Notification = 2,
    /// <summary>Legacy Nak, in Responses only (RFC 3748 §5.3.1).</summary>
    Nak = 3,
    /// <summary>MD5-Challenge (RFC 3748 §5.4).</summary>
    Md5Challenge = 4,
    /// <summary>One-Time Password (RFC 3748 §5.5).</summary>
    OneTimePassword = 5,
    /// <summary>Generic Token Card (RFC 3748 §5.6).</summary>
    GenericTokenCard = 6,
    /// <summary>EAP-TLS (RFC 5216).</summary>
    Tls = 13,
    /// <summary>Cisco LEAP.</summary>
    Leap = 17,
    /// <summary>EAP-SIM (RFC 4186).</summary>
    Sim = 18,
    /// <summary>EAP-TTLS (RFC 5281).</summary>
    Ttls = 21,
    /// <summary>EAP-AKA (RFC 4187).</summary>
    Aka = 23,
    /// <summary>PEAP.</summary>
    Peap = 25,
    /// <summary>EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2).</summary>
    MsChapV2 = 26,
    /// <summary>EAP-FAST (RFC 4851).</summary>
    Fast = 43,
    /// <summary>EAP-AKA' (RFC 5448).</summary>
    AkaPrime = 50,
    /// <summary>EAP-pwd (RFC 5931).</summary>
    Pwd = 52,
    /// <summary>Expanded Types, and the Expanded Nak (RFC 3748 §5.7).</summary>
    Expanded = 254,
    /// <summary>Experimental (RFC 3748 §5.8).</summary>
    Experimental = 255,
}

/// <summary>Names of EAP types as an administrator knows them (strongSwan's spelling).</summary>
public static class EapTypeNames
{
    /// <summary><c>MSCHAPV2</c>, <c>TLS</c>, <c>MD5</c>…; an unregistered type as its number.</summary>
    public static string Of(EapType type) => type switch
    {
        EapType.Identity => "IDENTITY",
        EapType.Notification => "NOTIFICATION",
        EapType.Nak => "NAK",
        EapType.Md5Challenge => "MD5",
        EapType.OneTimePassword => "OTP",
        EapType.GenericTokenCard => "GTC",
        EapType.Tls => "TLS",
        EapType.Leap => "LEAP",
        EapType.Sim => "SIM",
        EapType.Ttls => "TTLS",
        EapType.Aka => "AKA",
        EapType.Peap => "PEAP",
        EapType.MsChapV2 => "MSCHAPV2",
        EapType.Fast => "FAST",
        EapType.AkaPrime => "AKA'",
        EapType.Pwd => "PWD",
        EapType.Expanded => "EXPANDED",
        EapType.Experimental => "EXPERIMENTAL",
        _ => $"type {(byte)type}",
    };
}
