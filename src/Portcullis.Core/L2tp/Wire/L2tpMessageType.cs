namespace Portcullis.Core.L2tp.Wire;

/// <summary>Control message types (RFC 2661 §3.2), the value of the Message Type AVP.</summary>
public enum L2tpMessageType : ushort
{
    /// <summary>No Message Type AVP: a ZLB (Zero-Length Body) acknowledgement.</summary>
    Zlb = 0,
    /// <summary>Start-Control-Connection-Request.</summary>
    Sccrq = 1,
    /// <summary>Start-Control-Connection-Reply.</summary>
    Sccrp = 2,
    /// <summary>Start-Control-Connection-Connected.</summary>
    Scccn = 3,
    /// <summary>Stop-Control-Connection-Notification.</summary>
    StopCcn = 4,
    /// <summary>Hello (keepalive).</summary>
    Hello = 6,
    /// <summary>Outgoing-Call-Request.</summary>
    Ocrq = 7,
    /// <summary>Outgoing-Call-Reply.</summary>
    Ocrp = 8,
    /// <summary>Outgoing-Call-Connected.</summary>
    Occn = 9,
    /// <summary>Incoming-Call-Request.</summary>
    Icrq = 10,
    /// <summary>Incoming-Call-Reply.</summary>
    Icrp = 11,
    /// <summary>Incoming-Call-Connected.</summary>
    Iccn = 12,
    /// <summary>Call-Disconnect-Notify.</summary>
    Cdn = 14,
    /// <summary>WAN-Error-Notify.</summary>
    Wen = 15,
    /// <summary>Set-Link-Info.</summary>
    Sli = 16,
}

/// <summary>What RFC 2661 §6 says of each message type: its name, whether it belongs to a session, what it must carry.</summary>
public static class L2tpMessageTypes
{
    /// <summary>Whether the type is one RFC 2661 defines.</summary>
    public static bool IsDefined(L2tpMessageType type) => type is >= L2tpMessageType.Sccrq and <= L2tpMessageType.Sli
        and not (L2tpMessageType)5 and not (L2tpMessageType)13;

    /// <summary>
    /// Call management messages (§3.2) belong to a session: a problem in one clears the session (CDN), not the
    /// tunnel (StopCCN, §4.1).
    /// </summary>
    public static bool IsSessionMessage(L2tpMessageType type) => type is L2tpMessageType.Ocrq or L2tpMessageType.Ocrp or L2tpMessageType.Occn
        or L2tpMessageType.Icrq or L2tpMessageType.Icrp or L2tpMessageType.Iccn or L2tpMessageType.Cdn or L2tpMessageType.Wen or L2tpMessageType.Sli;

    /// <summary>The RFC's short name ("SCCRQ"), or "message type N".</summary>
    public static string NameOf(L2tpMessageType type) => type switch
    {
        L2tpMessageType.Zlb => "ZLB",
        L2tpMessageType.Sccrq => "SCCRQ",
        L2tpMessageType.Sccrp => "SCCRP",
        L2tpMessageType.Scccn => "SCCCN",
        L2tpMessageType.StopCcn => "StopCCN",
        L2tpMessageType.Hello => "HELLO",
        L2tpMessageType.Ocrq => "OCRQ",
        L2tpMessageType.Ocrp => "OCRP",
        L2tpMessageType.Occn => "OCCN",
        L2tpMessageType.Icrq => "ICRQ",
        L2tpMessageType.Icrp => "ICRP",
        L2tpMessageType.Iccn => "ICCN",
        L2tpMessageType.Cdn => "CDN",
        L2tpMessageType.Wen => "WEN",
        L2tpMessageType.Sli => "SLI",
        _ => $"message type {(ushort)type}",
    };

    /// <summary>
    /// The AVPs the message MUST carry besides Message Type (RFC 2661 §6.1–§6.15). Call Serial Number, which §6.6
    /// requires in ICRQ, is left out: it only labels the call for logs and some LACs leave it out.
    /// </summary>
    public static ReadOnlySpan<L2tpAttributeType> RequiredAvps(L2tpMessageType type) => type switch
    {
        L2tpMessageType.Sccrq => [L2tpAttributeType.ProtocolVersion, L2tpAttributeType.HostName, L2tpAttributeType.FramingCapabilities, L2tpAttributeType.AssignedTunnelId],
        L2tpMessageType.Sccrp => [L2tpAttributeType.ProtocolVersion, L2tpAttributeType.FramingCapabilities, L2tpAttributeType.HostName, L2tpAttributeType.AssignedTunnelId],
        L2tpMessageType.StopCcn => [L2tpAttributeType.AssignedTunnelId, L2tpAttributeType.ResultCode],
        L2tpMessageType.Icrq => [L2tpAttributeType.AssignedSessionId],
        L2tpMessageType.Icrp => [L2tpAttributeType.AssignedSessionId],
        L2tpMessageType.Iccn => [L2tpAttributeType.TxConnectSpeed, L2tpAttributeType.FramingType],
        L2tpMessageType.Cdn => [L2tpAttributeType.ResultCode, L2tpAttributeType.AssignedSessionId],
        L2tpMessageType.Ocrq => [L2tpAttributeType.AssignedSessionId, L2tpAttributeType.CallSerialNumber, L2tpAttributeType.MinimumBps, L2tpAttributeType.MaximumBps,
            L2tpAttributeType.BearerType, L2tpAttributeType.FramingType, L2tpAttributeType.CalledNumber],
        L2tpMessageType.Ocrp => [L2tpAttributeType.AssignedSessionId],
        L2tpMessageType.Occn => [L2tpAttributeType.TxConnectSpeed, L2tpAttributeType.FramingType],
        L2tpMessageType.Wen => [L2tpAttributeType.CallErrors],
        L2tpMessageType.Sli => [L2tpAttributeType.Accm],
        _ => [],
    };
}
