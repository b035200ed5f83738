namespace Portcullis.Core.L2tp.Wire;

/// <summary>
/// Framing bits (RFC 2661 §4.4.3, §4.4.5) of the Framing Capabilities and Framing Type AVPs (4-byte bit masks):
/// synchronous and asynchronous PPP framing.
/// </summary>
[Flags]
public enum L2tpFraming : uint
{
    /// <summary>No framing bit.</summary>
    None = 0,
    /// <summary>S: synchronous framing.</summary>
    Synchronous = 1,
    /// <summary>A: asynchronous framing.</summary>
    Asynchronous = 2,
}

/// <summary>
/// Bearer bits (RFC 2661 §4.4.3, §4.4.5) of the Bearer Capabilities and Bearer Type AVPs (4-byte bit masks):
/// digital and analog access.
/// </summary>
[Flags]
public enum L2tpBearer : uint
{
    /// <summary>No bearer bit (a virtual call, as L2TP/IPsec clients report).</summary>
    None = 0,
    /// <summary>D: digital access.</summary>
    Digital = 1,
    /// <summary>A: analog access.</summary>
    Analog = 2,
}
