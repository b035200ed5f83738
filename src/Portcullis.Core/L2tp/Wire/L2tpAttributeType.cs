namespace Portcullis.Core.L2tp.Wire;

/// <summary>Attribute Type of the IETF AVPs (RFC 2661 §4.4; Vendor ID 0).</summary>
public enum L2tpAttributeType : ushort
{
    /// <summary>Message Type.</summary>
    MessageType = 0,
    /// <summary>Result Code (StopCCN, CDN).</summary>
    ResultCode = 1,
    /// <summary>Protocol Version.</summary>
    ProtocolVersion = 2,
    /// <summary>Framing Capabilities.</summary>
    FramingCapabilities = 3,
    /// <summary>Bearer Capabilities.</summary>
    BearerCapabilities = 4,
    /// <summary>Tie Breaker.</summary>
    TieBreaker = 5,
    /// <summary>Firmware Revision.</summary>
    FirmwareRevision = 6,
    /// <summary>Host Name.</summary>
    HostName = 7,
    /// <summary>Vendor Name.</summary>
    VendorName = 8,
    /// <summary>Assigned Tunnel ID.</summary>
    AssignedTunnelId = 9,
    /// <summary>Receive Window Size.</summary>
    ReceiveWindowSize = 10,
    /// <summary>Challenge.</summary>
    Challenge = 11,
    /// <summary>Q.931 Cause Code.</summary>
    Q931CauseCode = 12,
    /// <summary>Challenge Response.</summary>
    ChallengeResponse = 13,
    /// <summary>Assigned Session ID.</summary>
    AssignedSessionId = 14,
    /// <summary>Call Serial Number.</summary>
    CallSerialNumber = 15,
    /// <summary>Minimum BPS.</summary>
    MinimumBps = 16,
    /// <summary>Maximum BPS.</summary>
    MaximumBps = 17,
    /// <summary>Bearer Type.</summary>
    BearerType = 18,
    /// <summary>Framing Type.</summary>
    FramingType = 19,
    /// <summary>Called Number.</summary>
    CalledNumber = 21,
    /// <summary>Calling Number.</summary>
    CallingNumber = 22,
    /// <summary>Sub-Address.</summary>
    SubAddress = 23,
    /// <summary>(Tx) Connect Speed.</summary>
    TxConnectSpeed = 24,
    /// <summary>Physical Channel ID.</summary>
    PhysicalChannelId = 25,
    /// <summary>Initial Received LCP CONFREQ.</summary>
    InitialReceivedLcpConfReq = 26,
    /// <summary>Last Sent LCP CONFREQ.</summary>
    LastSentLcpConfReq = 27,
    /// <summary>Last Received LCP CONFREQ.</summary>
    LastReceivedLcpConfReq = 28,
    /// <summary>Proxy Authen Type.</summary>
    ProxyAuthenType = 29,
    /// <summary>Proxy Authen Name.</summary>
    ProxyAuthenName = 30,
    /// <summary>Proxy Authen Challenge.</summary>
    ProxyAuthenChallenge = 31,
    /// <summary>Proxy Authen ID.</summary>
    ProxyAuthenId = 32,
    /// <summary>Proxy Authen Response.</summary>
    ProxyAuthenResponse = 33,
    /// <summary>Call Errors (WEN).</summary>
    CallErrors = 34,
    /// <summary>ACCM (SLI).</summary>
    Accm = 35,
    /// <summary>Random Vector.</summary>
    RandomVector = 36,
    /// <summary>Private Group ID.</summary>
    PrivateGroupId = 37,
    /// <summary>Rx Connect Speed.</summary>
    RxConnectSpeed = 38,
    /// <summary>Sequencing Required.</summary>
    SequencingRequired = 39,
}

/// <summary>What RFC 2661 §4.4 says of one attribute: its name, the bounds of its value, its M bit and whether it may be hidden.</summary>
/// <param name="Name">The RFC's name, for logs and parse errors.</param>
/// <param name="MinimumValueLength">Shortest Attribute Value.</param>
/// <param name="MaximumValueLength">Longest Attribute Value.</param>
/// <param name="Mandatory">The M bit a sender sets.</param>
/// <param name="MayBeHidden">Whether the H bit may be set; false where the RFC says the AVP MUST NOT be hidden.</param>
public readonly record struct L2tpAttributeInfo(string Name, int MinimumValueLength, int MaximumValueLength, bool Mandatory, bool MayBeHidden);

/// <summary>The table of RFC 2661 attributes.</summary>
public static class L2tpAttributes
{
    private const int Any = AvpHeader.MaximumLength - AvpHeader.Size;

    private static readonly Dictionary<L2tpAttributeType, L2tpAttributeInfo> Table = new()
    {
        [L2tpAttributeType.MessageType] = new("Message Type", 2, 2, true, false),
        [L2tpAttributeType.ResultCode] = new("Result Code", 2, Any, true, false),
        [L2tpAttributeType.ProtocolVersion] = new("Protocol Version", 2, 2, true, false),
        [L2tpAttributeType.FramingCapabilities] = new("Framing Capabilities", 4, 4, true, true),
        [L2tpAttributeType.BearerCapabilities] = new("Bearer Capabilities", 4, 4, true, true),
        [L2tpAttributeType.TieBreaker] = new("Tie Breaker", 8, 8, false, false),
        [L2tpAttributeType.FirmwareRevision] = new("Firmware Revision", 2, 2, false, true),
        [L2tpAttributeType.HostName] = new("Host Name", 1, Any, true, false),
        [L2tpAttributeType.VendorName] = new("Vendor Name", 0, Any, false, true),
        [L2tpAttributeType.AssignedTunnelId] = new("Assigned Tunnel ID", 2, 2, true, true),
        [L2tpAttributeType.ReceiveWindowSize] = new("Receive Window Size", 2, 2, true, false),
        [L2tpAttributeType.Challenge] = new("Challenge", 1, Any, true, true),
        [L2tpAttributeType.Q931CauseCode] = new("Q.931 Cause Code", 3, Any, true, false),
        [L2tpAttributeType.ChallengeResponse] = new("Challenge Response", 16, 16, true, true),
        [L2tpAttributeType.AssignedSessionId] = new("Assigned Session ID", 2, 2, true, true),
        [L2tpAttributeType.CallSerialNumber] = new("Call Serial Number", 4, 4, true, true),
        [L2tpAttributeType.MinimumBps] = new("Minimum BPS", 4, 4, true, true),
        [L2tpAttributeType.MaximumBps] = new("Maximum BPS", 4, 4, true, true),
        [L2tpAttributeType.BearerType] = new("Bearer Type", 4, 4, true, true),
        [L2tpAttributeType.FramingType] = new("Framing Type", 4, 4, true, true),
        [L2tpAttributeType.CalledNumber] = new("Called Number", 0, Any, true, true),
        [L2tpAttributeType.CallingNumber] = new("Calling Number", 0, Any, true, true),
        [L2tpAttributeType.SubAddress] = new("Sub-Address", 0, Any, true, true),
        [L2tpAttributeType.TxConnectSpeed] = new("(Tx) Connect Speed", 4, 4, true, true),
        [L2tpAttributeType.PhysicalChannelId] = new("Physical Channel ID", 4, 4, false, true),
        [L2tpAttributeType.InitialReceivedLcpConfReq] = new("Initial Received LCP CONFREQ", 0, Any, false, true),
        [L2tpAttributeType.LastSentLcpConfReq] = new("Last Sent LCP CONFREQ", 0, Any, false, true),
        [L2tpAttributeType.LastReceivedLcpConfReq] = new("Last Received LCP CONFREQ", 0, Any, false, true),
        [L2tpAttributeType.ProxyAuthenType] = new("Proxy Authen Type", 2, 2, false, true),
        [L2tpAttributeType.ProxyAuthenName] = new("Proxy Authen Name", 0, Any, false, true),
        [L2tpAttributeType.ProxyAuthenChallenge] = new("Proxy Authen Challenge", 0, Any, false, true),
        [L2tpAttributeType.ProxyAuthenId] = new("Proxy Authen ID", 2, 2, false, true),
        [L2tpAttributeType.ProxyAuthenResponse] = new("Proxy Authen Response", 0, Any, false, true),
        [L2tpAttributeType.CallErrors] = new("Call Errors", 26, 26, true, true),
        [L2tpAttributeType.Accm] = new("ACCM", 10, 10, true, true),
        [L2tpAttributeType.RandomVector] = new("Random Vector", 0, Any, true, false),
        [L2tpAttributeType.PrivateGroupId] = new("Private Group ID", 0, Any, false, true),
        [L2tpAttributeType.RxConnectSpeed] = new("Rx Connect Speed", 4, 4, false, true),
        [L2tpAttributeType.SequencingRequired] = new("Sequencing Required", 0, 0, true, false),
    };

    /// <summary>The RFC's facts about an IETF attribute; false for an attribute RFC 2661 does not define.</summary>
    public static bool TryGet(ushort vendorId, ushort attributeType, out L2tpAttributeInfo info)
    {
        info = default;
        return vendorId == AvpHeader.IetfVendorId && Table.TryGetValue((L2tpAttributeType)attributeType, out info);
    }

    /// <summary>The attribute's name in the RFC's words ("Assigned Tunnel ID"), or "attribute N" when undefined.</summary>
    public static string NameOf(L2tpAttributeType type) => Table.TryGetValue(type, out L2tpAttributeInfo info) ? info.Name : $"attribute {(ushort)type}";
}
