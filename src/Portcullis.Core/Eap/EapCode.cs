namespace Portcullis.Core.Eap;

/// <summary>EAP packet codes (RFC 3748 §4).</summary>
public enum EapCode : byte
{
    /// <summary>Request: sent by the authenticator (server).</summary>
    Request = 1,
    /// <summary>Response: sent by the peer (client), one per Request.</summary>
    Response = 2,
    /// <summary>Success: the authenticator accepted the peer.</summary>
    Success = 3,
    /// <summary>Failure: the authenticator refused the peer.</summary>
    Failure = 4,
}
