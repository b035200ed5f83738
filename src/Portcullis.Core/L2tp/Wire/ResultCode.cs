using System.Buffers.Binary;
using System.Text;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>Result codes of a StopCCN (RFC 2661 §4.4.2).</summary>
public enum StopCcnResult : ushort
{
    /// <summary>General request to clear control connection.</summary>
    GeneralRequest = 1,
    /// <summary>General error; the Error Code says which.</summary>
    GeneralError = 2,
    /// <summary>Control channel already exists.</summary>
    ChannelExists = 3,
    /// <summary>Requester is not authorized to establish a control channel.</summary>
    NotAuthorized = 4,
    /// <summary>The protocol version of the requester is not supported.</summary>
    UnsupportedVersion = 5,
    /// <summary>Requester is being shut down.</summary>
    ShuttingDown = 6,
    /// <summary>Finite State Machine error.</summary>
    StateMachineError = 7,
}

/// <summary>Result codes of a CDN (RFC 2661 §4.4.2).</summary>
public enum CdnResult : ushort
{
    /// <summary>Call disconnected due to loss of carrier.</summary>
    LostCarrier = 1,
    /// <summary>Call disconnected for the reason in the Error Code.</summary>
    GeneralError = 2,
    /// <summary>Call disconnected for administrative reasons.</summary>
    Administrative = 3,
    /// <summary>Call failed due to lack of appropriate facilities being available (temporary condition).</summary>
    NoFacilitiesTemporary = 4,
    /// <summary>Call failed due to lack of appropriate facilities being available (permanent condition).</summary>
    NoFacilitiesPermanent = 5,
}

/// <summary>General error codes (RFC 2661 §4.4.2), the Error Code of a Result Code with result 2.</summary>
public enum L2tpErrorCode : ushort
{
    /// <summary>No general error.</summary>
    None = 0,
    /// <summary>No control connection exists yet for this LAC-LNS pair.</summary>
    NoControlConnection = 1,
    /// <summary>Length is wrong.</summary>
    BadLength = 2,
    /// <summary>One of the field values was out of range or a reserved field was non-zero.</summary>
    BadValue = 3,
    /// <summary>Insufficient resources to handle this operation now.</summary>
    InsufficientResources = 4,
    /// <summary>The Session ID is invalid in this context.</summary>
    InvalidSessionId = 5,
    /// <summary>A generic vendor-specific error occurred.</summary>
    VendorSpecific = 6,
    /// <summary>Try another.</summary>
    TryAnother = 7,
    /// <summary>Session or tunnel was shut down due to receipt of an unknown AVP with the M bit set.</summary>
    UnknownMandatoryAvp = 8,
}

/// <summary>
/// Result Code AVP value (RFC 2661 §4.4.2): Result Code (2), then optionally Error Code (2) and an Error Message in
/// UTF-8. We always send the Error Code, 0 when there is none, since some peers expect it.
/// </summary>
public readonly record struct ResultCode(ushort Result, ushort? Error, string? Message)
{
    /// <summary>Bytes of the value.</summary>
    public int ValueLength => 4 + (Message is null ? 0 : Encoding.UTF8.GetByteCount(Message));

    /// <summary>Parses the value.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out ResultCode result, out ParseError error)
    {
        result = default;
        error = default;
        if (value.Length < 2 || value.Length == 3)
        {
            error = new("Result Code", $"value of {value.Length} bytes: 2 for the result, 2 more for an error code");
            return false;
        }
        ushort code = BinaryPrimitives.ReadUInt16BigEndian(value);
        ushort? errorCode = value.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(value[2..]) : null;
        // The message is for people: a peer's invalid UTF-8 is shown with replacement characters, not refused.
        string? message = value.Length > 4 ? Encoding.UTF8.GetString(value[4..]) : null;
        result = new ResultCode(code, errorCode, message);
        return true;
    }

    /// <summary>Writes the value; returns its length.</summary>
    public int Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Result);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Error ?? 0);
        int n = Message is null ? 0 : Encoding.UTF8.GetBytes(Message, destination[4..]);
        return 4 + n;
    }

    /// <summary>"result 2 (general error), error 8 (unknown mandatory AVP): text" in a StopCCN or CDN.</summary>
    public string Describe(L2tpMessageType inMessage)
    {
        string result = inMessage == L2tpMessageType.StopCcn ? StopCcnName(Result) : CdnName(Result);
        string text = $"result {Result} ({result})";
        if (Error is { } e && e != 0) text += $", error {e} ({ErrorName(e)})";
        if (!string.IsNullOrEmpty(Message)) text += $": {Message}";
        return text;
    }

    private static string StopCcnName(ushort code) => (StopCcnResult)code switch
    {
        StopCcnResult.GeneralRequest => "general request to clear control connection",
        StopCcnResult.GeneralError => "general error",
        StopCcnResult.ChannelExists => "control channel already exists",
        StopCcnResult.NotAuthorized => "requester not authorized",
        StopCcnResult.UnsupportedVersion => "protocol version not supported",
        StopCcnResult.ShuttingDown => "requester is being shut down",
        StopCcnResult.StateMachineError => "finite state machine error",
        _ => "unknown",
    };

    private static string CdnName(ushort code) => (CdnResult)code switch
    {
        CdnResult.LostCarrier => "loss of carrier",
        CdnResult.GeneralError => "general error",
        CdnResult.Administrative => "administrative reasons",
        CdnResult.NoFacilitiesTemporary => "no appropriate facilities, temporary",
        CdnResult.NoFacilitiesPermanent => "no appropriate facilities, permanent",
        _ => $"code {code}",
    };

    private static string ErrorName(ushort code) => (L2tpErrorCode)code switch
    {
        L2tpErrorCode.NoControlConnection => "no control connection exists yet",
        L2tpErrorCode.BadLength => "length is wrong",
        L2tpErrorCode.BadValue => "field value out of range",
        L2tpErrorCode.InsufficientResources => "insufficient resources",
        L2tpErrorCode.InvalidSessionId => "invalid Session ID",
        L2tpErrorCode.VendorSpecific => "vendor-specific error",
        L2tpErrorCode.TryAnother => "try another",
        L2tpErrorCode.UnknownMandatoryAvp => "unknown mandatory AVP",
        _ => "unknown",
    };
}
