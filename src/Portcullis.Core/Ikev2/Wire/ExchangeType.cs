namespace Portcullis.Core.Ikev2.Wire;

/// <summary>IKEv2 exchange types (RFC 7296 §3.1).</summary>
public enum ExchangeType : byte
{
    /// <summary>IKE_SA_INIT.</summary>
    IkeSaInit = 34,
    /// <summary>IKE_AUTH.</summary>
    IkeAuth = 35,
    /// <summary>CREATE_CHILD_SA.</summary>
    CreateChildSa = 36,
    /// <summary>INFORMATIONAL.</summary>
    Informational = 37,
}
