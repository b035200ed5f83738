using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>An AVP the parser did not act on: undefined, reserved bits set, or hidden with no secret to unhide it.</summary>
public readonly record struct UnknownAvp(ushort VendorId, ushort AttributeType, bool Mandatory, string Why)
{
    /// <inheritdoc />
    public override string ToString() => VendorId == 0
        ? $"{L2tpAttributes.NameOf((L2tpAttributeType)AttributeType)} ({Why})"
        : $"vendor {VendorId} attribute {AttributeType} ({Why})";
}

/// <summary>What hiding needs when writing: the tunnel secret and random bytes for the Random Vector and the padding.</summary>
public sealed record AvpHiding(byte[] Secret, Action<Span<byte>> Random);

/// <summary>
/// A control message (RFC 2661 §3.1, §6): the header fields and the AVPs this implementation knows, as typed values.
/// Parsing unhides hidden AVPs with the tunnel secret; AVPs it does not know are listed in <see cref="UnknownAvps"/>,
/// and the caller decides (an unknown AVP with the M bit clears the tunnel or the session, §4.1). Writing puts
/// Message Type first and the rest in attribute order, hiding what may be hidden when asked to.
/// </summary>
public sealed class ControlMessage
{
    /// <summary>Bytes of the Random Vector we send before hidden AVPs.</summary>
    public const int RandomVectorSize = 16;

    /// <summary>Tunnel ID of the header: the recipient's tunnel, 0 before the recipient assigned one.</summary>
    public ushort TunnelId { get; set; }

    /// <summary>Session ID of the header: the recipient's session, 0 for tunnel messages.</summary>
    public ushort SessionId { get; set; }

    /// <summary>Ns of the header.</summary>
    public ushort Ns { get; set; }

    /// <summary>Nr of the header.</summary>
    public ushort Nr { get; set; }

    /// <summary>The Message Type AVP's value; <see cref="L2tpMessageType.Zlb"/> for a message without AVPs.</summary>
    public L2tpMessageType MessageType { get; set; }

    /// <summary>The M bit of the Message Type AVP: an unknown type with it set clears the tunnel (§4.4.1).</summary>
    public bool MessageTypeMandatory { get; set; } = true;

    /// <summary>True for a ZLB acknowledgement (a header and nothing else).</summary>
    public bool IsZlb => MessageType == L2tpMessageType.Zlb;

    /// <summary>Result Code (StopCCN, CDN).</summary>
    public ResultCode? ResultCode { get; set; }

    /// <summary>Protocol Version.</summary>
    public ProtocolVersion? ProtocolVersion { get; set; }

    /// <summary>Framing Capabilities.</summary>
    public L2tpFraming? FramingCapabilities { get; set; }

    /// <summary>Bearer Capabilities.</summary>
    public L2tpBearer? BearerCapabilities { get; set; }

    /// <summary>Tie Breaker.</summary>
    public ulong? TieBreaker { get; set; }

    /// <summary>Firmware Revision.</summary>
    public ushort? FirmwareRevision { get; set; }

    /// <summary>Host Name.</summary>
    public string? HostName { get; set; }

    /// <summary>Vendor Name.</summary>
    public string? VendorName { get; set; }

    /// <summary>Assigned Tunnel ID: the sender's own ID for the tunnel.</summary>
    public ushort? AssignedTunnelId { get; set; }

    /// <summary>Receive Window Size: how many unacknowledged control messages the sender accepts.</summary>
    public ushort? ReceiveWindowSize { get; set; }

    /// <summary>Challenge.</summary>
    public byte[]? Challenge { get; set; }

    /// <summary>Challenge Response.</summary>
    public byte[]? ChallengeResponse { get; set; }

    /// <summary>Q.931 Cause Code (CDN).</summary>
    public Q931CauseCode? Q931CauseCode { get; set; }

    /// <summary>Assigned Session ID: the sender's own ID for the session.</summary>
    public ushort? AssignedSessionId { get; set; }

    /// <summary>Call Serial Number.</summary>
    public uint? CallSerialNumber { get; set; }

    /// <summary>Minimum BPS.</summary>
    public uint? MinimumBps { get; set; }

    /// <summary>Maximum BPS.</summary>
    public uint? MaximumBps { get; set; }

    /// <summary>Bearer Type.</summary>
    public L2tpBearer? BearerType { get; set; }

    /// <summary>Framing Type.</summary>
    public L2tpFraming? FramingType { get; set; }

    /// <summary>Called Number.</summary>
    public string? CalledNumber { get; set; }

    /// <summary>Calling Number.</summary>
    public string? CallingNumber { get; set; }

    /// <summary>Sub-Address.</summary>
    public string? SubAddress { get; set; }

    /// <summary>(Tx) Connect Speed in bits per second.</summary>
    public uint? TxConnectSpeed { get; set; }

    /// <summary>Physical Channel ID.</summary>
    public uint? PhysicalChannelId { get; set; }

    /// <summary>Private Group ID.</summary>
    public byte[]? PrivateGroupId { get; set; }

    /// <summary>Rx Connect Speed in bits per second.</summary>
    public uint? RxConnectSpeed { get; set; }

    /// <summary>Sequencing Required: data messages of the session carry Ns and Nr.</summary>
    public bool SequencingRequired { get; set; }

    /// <summary>The last Random Vector of a parsed message (for inspection; writing makes its own).</summary>
    public byte[]? RandomVector { get; private set; }

    /// <summary>Every AVP of a parsed message that was defined and read, in order (the hidden ones unhidden).</summary>
    public List<L2tpAttributeType> Attributes { get; } = [];

    /// <summary>The AVPs of a parsed message that came hidden.</summary>
    public List<L2tpAttributeType> HiddenAttributes { get; } = [];

    /// <summary>AVPs of a parsed message that were not acted on.</summary>
    public List<UnknownAvp> UnknownAvps { get; } = [];

    /// <summary>The first AVP not acted on that carried the M bit: the message cannot be honoured (§4.1).</summary>
    public UnknownAvp? UnknownMandatoryAvp => UnknownAvps.FirstOrDefault(a => a.Mandatory) is { Mandatory: true } a ? a : null;

    /// <summary>The first AVP the message type requires (§6) that is missing, or null.</summary>
    public L2tpAttributeType? MissingRequiredAvp()
    {
        foreach (L2tpAttributeType type in L2tpMessageTypes.RequiredAvps(MessageType))
            if (!Attributes.Contains(type)) return type;
        return null;
    }

    /// <summary>Short name of the message type ("SCCRQ").</summary>
    public string Name => L2tpMessageTypes.NameOf(MessageType);

    /// <summary>
    /// Parses a whole control message (header and AVPs). <paramref name="secret"/> unhides hidden AVPs; empty means no
    /// tunnel secret, and hidden AVPs are then listed as unknown.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> secret, out ControlMessage? message, out ParseError error)
    {
        message = null;
        if (!L2tpHeader.TryParse(datagram, out L2tpHeader header, out int length, out error)) return false;
        if (!header.IsControl) { error = new("T bit", "a data message, not a control message"); return false; }
        return TryParseBody(header, datagram[header.PayloadOffset..length], secret, out message, out error);
    }

    /// <summary>Parses the AVPs of a control message whose header is already read.</summary>
    public static bool TryParseBody(L2tpHeader header, ReadOnlySpan<byte> avps, ReadOnlySpan<byte> secret, out ControlMessage? message, out ParseError error)
    {
        message = null;
        error = default;
        var m = new ControlMessage { TunnelId = header.TunnelId, SessionId = header.SessionId, Ns = header.Ns, Nr = header.Nr, MessageType = L2tpMessageType.Zlb };
        var reader = new AvpReader(avps);
        while (reader.TryReadNext(out AvpHeader avp, out ReadOnlySpan<byte> value, out error))
        {
            bool first = reader.Count == 1;
            bool known = L2tpAttributes.TryGet(avp.VendorId, avp.AttributeType, out L2tpAttributeInfo info);
            if (first && !(known && avp.AttributeType == (ushort)L2tpAttributeType.MessageType))
            {
                error = new("Message Type", $"the first AVP is vendor {avp.VendorId} attribute {avp.AttributeType}, not Message Type");
                return false;
            }
            if (!known || avp.ReservedBits != 0)
            {
                // §4.1: reserved bits set make an AVP unrecognized, like an undefined one.
                m.UnknownAvps.Add(new UnknownAvp(avp.VendorId, avp.AttributeType, avp.Mandatory, known ? "reserved bits set" : "not defined"));
                continue;
            }
            byte[]? unhidden = null;
            if (avp.Hidden)
            {
                if (!info.MayBeHidden) { error = new(info.Name, "hidden, which RFC 2661 forbids for this AVP"); return false; }
                if (secret.IsEmpty)
                {
                    m.UnknownAvps.Add(new UnknownAvp(avp.VendorId, avp.AttributeType, avp.Mandatory, "hidden, and no tunnel secret is configured"));
                    continue;
                }
                if (m.RandomVector is null) { error = new("Random Vector", $"hidden {info.Name} comes before any Random Vector AVP"); return false; }
                if (!HiddenAvp.TryUnhide(avp.AttributeType, value, secret, m.RandomVector, out unhidden, out error)) return false;
                value = unhidden;
                m.HiddenAttributes.Add((L2tpAttributeType)avp.AttributeType);
            }
            if (value.Length < info.MinimumValueLength || value.Length > info.MaximumValueLength)
            {
                string expected = info.MinimumValueLength == info.MaximumValueLength ? $"{info.MinimumValueLength}" : $"at least {info.MinimumValueLength}";
                error = new(info.Name, $"value of {value.Length} bytes, must be {expected}");
                return false;
            }
            if (!m.Assign((L2tpAttributeType)avp.AttributeType, avp.Mandatory, value, out error)) return false;
            m.Attributes.Add((L2tpAttributeType)avp.AttributeType);
        }
        if (error.Field is not null) return false;
        message = m;
        return true;
    }

    private bool Assign(L2tpAttributeType type, bool mandatory, ReadOnlySpan<byte> value, out ParseError error)
    {
        error = default;
        switch (type)
        {
            case L2tpAttributeType.MessageType:
                MessageType = (L2tpMessageType)BinaryPrimitives.ReadUInt16BigEndian(value);
                MessageTypeMandatory = mandatory;
                if (MessageType == L2tpMessageType.Zlb) { error = new("Message Type", "value 0 is reserved"); return false; }
                break;
            case L2tpAttributeType.ResultCode:
                if (!Wire.ResultCode.TryParse(value, out ResultCode result, out error)) return false;
                ResultCode = result;
                break;
            case L2tpAttributeType.ProtocolVersion:
                if (!Wire.ProtocolVersion.TryParse(value, out ProtocolVersion version, out error)) return false;
                ProtocolVersion = version;
                break;
            case L2tpAttributeType.FramingCapabilities: FramingCapabilities = (L2tpFraming)U32(value); break;
            case L2tpAttributeType.BearerCapabilities: BearerCapabilities = (L2tpBearer)U32(value); break;
            case L2tpAttributeType.TieBreaker: TieBreaker = BinaryPrimitives.ReadUInt64BigEndian(value); break;
            case L2tpAttributeType.FirmwareRevision: FirmwareRevision = U16(value); break;
            case L2tpAttributeType.HostName: HostName = Text(value); break;
            case L2tpAttributeType.VendorName: VendorName = Text(value); break;
            case L2tpAttributeType.AssignedTunnelId:
                AssignedTunnelId = U16(value);
                // §5.3: 0 is never assigned; it means "not yet known" in headers.
                if (AssignedTunnelId == 0 && MessageType != L2tpMessageType.StopCcn) { error = new("Assigned Tunnel ID", "0, which is never assigned"); return false; }
                break;
            case L2tpAttributeType.ReceiveWindowSize: ReceiveWindowSize = U16(value); break;
            case L2tpAttributeType.Challenge: Challenge = value.ToArray(); break;
            case L2tpAttributeType.ChallengeResponse: ChallengeResponse = value.ToArray(); break;
            case L2tpAttributeType.Q931CauseCode:
                if (!Wire.Q931CauseCode.TryParse(value, out Q931CauseCode cause, out error)) return false;
                Q931CauseCode = cause;
                break;
            case L2tpAttributeType.AssignedSessionId:
                AssignedSessionId = U16(value);
                if (AssignedSessionId == 0 && MessageType != L2tpMessageType.Cdn) { error = new("Assigned Session ID", "0, which is never assigned"); return false; }
                break;
            case L2tpAttributeType.CallSerialNumber: CallSerialNumber = U32(value); break;
            case L2tpAttributeType.MinimumBps: MinimumBps = U32(value); break;
            case L2tpAttributeType.MaximumBps: MaximumBps = U32(value); break;
            case L2tpAttributeType.BearerType: BearerType = (L2tpBearer)U32(value); break;
            case L2tpAttributeType.FramingType: FramingType = (L2tpFraming)U32(value); break;
            case L2tpAttributeType.CalledNumber: CalledNumber = Text(value); break;
            case L2tpAttributeType.CallingNumber: CallingNumber = Text(value); break;
            case L2tpAttributeType.SubAddress: SubAddress = Text(value); break;
            case L2tpAttributeType.TxConnectSpeed: TxConnectSpeed = U32(value); break;
            case L2tpAttributeType.PhysicalChannelId: PhysicalChannelId = U32(value); break;
            case L2tpAttributeType.PrivateGroupId: PrivateGroupId = value.ToArray(); break;
            case L2tpAttributeType.RxConnectSpeed: RxConnectSpeed = U32(value); break;
            case L2tpAttributeType.SequencingRequired: SequencingRequired = true; break;
            case L2tpAttributeType.RandomVector: RandomVector = value.ToArray(); break;
            default:
                // Proxy authentication, LCP CONFREQ copies, Call Errors, ACCM: checked for length, not used by an
                // L2TP/IPsec LNS or LAC (PPP negotiates afresh end to end).
                break;
        }
        return true;
    }

    private static ushort U16(ReadOnlySpan<byte> v) => BinaryPrimitives.ReadUInt16BigEndian(v);
    private static uint U32(ReadOnlySpan<byte> v) => BinaryPrimitives.ReadUInt32BigEndian(v);

    // Names and numbers are octet strings; peers send ASCII. Invalid UTF-8 shows as replacement characters.
    private static string Text(ReadOnlySpan<byte> v) => Encoding.UTF8.GetString(v);

    /// <summary>
    /// The message as bytes: header (Ns and Nr as set; the reliable-delivery layer rewrites them) and AVPs.
    /// With <paramref name="hiding"/>, a Random Vector follows Message Type and every AVP that may be hidden is.
    /// </summary>
    public byte[] ToBytes(AvpHiding? hiding = null)
    {
        var output = new ArrayBufferWriter<byte>(128);
        output.Advance(L2tpHeader.ControlHeaderSize);
        if (!IsZlb)
        {
            Span<byte> scratch = stackalloc byte[8];
            BinaryPrimitives.WriteUInt16BigEndian(scratch, (ushort)MessageType);
            Add(output, L2tpAttributeType.MessageType, scratch[..2], null, null);
            byte[]? vector = null;
            if (hiding is not null)
            {
                vector = new byte[RandomVectorSize];
                hiding.Random(vector);
                Add(output, L2tpAttributeType.RandomVector, vector, null, null);
            }
            if (ResultCode is { } result)
            {
                byte[] v = new byte[result.ValueLength];
                result.Write(v);
                Add(output, L2tpAttributeType.ResultCode, v, hiding, vector);
            }
            if (ProtocolVersion is { } version) { version.Write(scratch); Add(output, L2tpAttributeType.ProtocolVersion, scratch[..2], hiding, vector); }
            if (FramingCapabilities is { } fc) AddU32(output, L2tpAttributeType.FramingCapabilities, (uint)fc, hiding, vector);
            if (BearerCapabilities is { } bc) AddU32(output, L2tpAttributeType.BearerCapabilities, (uint)bc, hiding, vector);
            if (TieBreaker is { } tie) { BinaryPrimitives.WriteUInt64BigEndian(scratch, tie); Add(output, L2tpAttributeType.TieBreaker, scratch[..8], hiding, vector); }
            if (FirmwareRevision is { } fw) AddU16(output, L2tpAttributeType.FirmwareRevision, fw, hiding, vector);
            if (HostName is { } host) Add(output, L2tpAttributeType.HostName, Encoding.UTF8.GetBytes(host), hiding, vector);
            if (VendorName is { } vendor) Add(output, L2tpAttributeType.VendorName, Encoding.UTF8.GetBytes(vendor), hiding, vector);
            if (AssignedTunnelId is { } tid) AddU16(output, L2tpAttributeType.AssignedTunnelId, tid, hiding, vector);
            if (ReceiveWindowSize is { } rws) AddU16(output, L2tpAttributeType.ReceiveWindowSize, rws, hiding, vector);
            if (Challenge is { } challenge) Add(output, L2tpAttributeType.Challenge, challenge, hiding, vector);
            if (Q931CauseCode is { } cause)
            {
                byte[] v = new byte[cause.ValueLength];
                cause.Write(v);
                Add(output, L2tpAttributeType.Q931CauseCode, v, hiding, vector);
            }
            if (ChallengeResponse is { } response) Add(output, L2tpAttributeType.ChallengeResponse, response, hiding, vector);
            if (AssignedSessionId is { } sid) AddU16(output, L2tpAttributeType.AssignedSessionId, sid, hiding, vector);
            if (CallSerialNumber is { } serial) AddU32(output, L2tpAttributeType.CallSerialNumber, serial, hiding, vector);
            if (MinimumBps is { } min) AddU32(output, L2tpAttributeType.MinimumBps, min, hiding, vector);
            if (MaximumBps is { } max) AddU32(output, L2tpAttributeType.MaximumBps, max, hiding, vector);
            if (BearerType is { } bt) AddU32(output, L2tpAttributeType.BearerType, (uint)bt, hiding, vector);
            if (FramingType is { } ft) AddU32(output, L2tpAttributeType.FramingType, (uint)ft, hiding, vector);
            if (CalledNumber is { } called) Add(output, L2tpAttributeType.CalledNumber, Encoding.UTF8.GetBytes(called), hiding, vector);
            if (CallingNumber is { } calling) Add(output, L2tpAttributeType.CallingNumber, Encoding.UTF8.GetBytes(calling), hiding, vector);
            if (SubAddress is { } sub) Add(output, L2tpAttributeType.SubAddress, Encoding.UTF8.GetBytes(sub), hiding, vector);
            if (TxConnectSpeed is { } tx) AddU32(output, L2tpAttributeType.TxConnectSpeed, tx, hiding, vector);
            if (PhysicalChannelId is { } channel) AddU32(output, L2tpAttributeType.PhysicalChannelId, channel, hiding, vector);
            if (PrivateGroupId is { } group) Add(output, L2tpAttributeType.PrivateGroupId, group, hiding, vector);
            if (RxConnectSpeed is { } rx) AddU32(output, L2tpAttributeType.RxConnectSpeed, rx, hiding, vector);
            if (SequencingRequired) Add(output, L2tpAttributeType.SequencingRequired, [], hiding, vector);
        }
        byte[] bytes = output.WrittenSpan.ToArray();
        if (bytes.Length > ushort.MaxValue) throw new InvalidOperationException("control message longer than 65535 bytes");
        L2tpHeader.Control((ushort)bytes.Length, TunnelId, SessionId, Ns, Nr).Write(bytes);
        return bytes;
    }

    private static void AddU16(ArrayBufferWriter<byte> output, L2tpAttributeType type, ushort value, AvpHiding? hiding, byte[]? vector)
    {
        Span<byte> v = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(v, value);
        Add(output, type, v, hiding, vector);
    }

    private static void AddU32(ArrayBufferWriter<byte> output, L2tpAttributeType type, uint value, AvpHiding? hiding, byte[]? vector)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(v, value);
        Add(output, type, v, hiding, vector);
    }

    private static void Add(ArrayBufferWriter<byte> output, L2tpAttributeType type, ReadOnlySpan<byte> value, AvpHiding? hiding, byte[]? vector)
    {
        L2tpAttributes.TryGet(0, (ushort)type, out L2tpAttributeInfo info);
        bool hide = hiding is not null && vector is not null && info.MayBeHidden;
        int valueLength = value.Length;
        byte[]? padding = null;
        if (hide)
        {
            padding = new byte[HiddenAvp.PaddingFor(value.Length)];
            hiding!.Random(padding);
            valueLength = HiddenAvp.HiddenLength(value.Length, padding.Length);
        }
        int length = AvpHeader.Size + valueLength;
        if (length > AvpHeader.MaximumLength) throw new InvalidOperationException($"{info.Name} of {value.Length} bytes does not fit in an AVP");
        Span<byte> span = output.GetSpan(length)[..length];
        new AvpHeader(info.Mandatory, hide, 0, (ushort)length, AvpHeader.IetfVendorId, (ushort)type).Write(span);
        if (hide) HiddenAvp.Hide((ushort)type, value, padding, hiding!.Secret, vector, span[AvpHeader.Size..]);
        else value.CopyTo(span[AvpHeader.Size..]);
        output.Advance(length);
    }
}
