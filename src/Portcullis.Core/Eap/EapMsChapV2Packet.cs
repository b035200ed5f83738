using System.Buffers.Binary;
using Portcullis.Core.Crypto;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Eap;

/// <summary>EAP-MSCHAPv2 OpCodes (draft-kamath-pppext-eap-mschapv2-02 §2).</summary>
public enum MsChapV2OpCode : byte
{
    /// <summary>Challenge (Request): the authenticator's challenge and name.</summary>
    Challenge = 1,
    /// <summary>Response (Response): the peer's challenge, NT-Response and name.</summary>
    Response = 2,
    /// <summary>Success: the authenticator's <c>S=… M=…</c> (Request), the peer's acknowledgement (Response).</summary>
    Success = 3,
    /// <summary>Failure: the authenticator's <c>E=… R=… C=… V=… M=…</c> (Request), the peer's acknowledgement (Response).</summary>
    Failure = 4,
    /// <summary>Change-Password (Response): a new password after ERROR_PASSWD_EXPIRED. Parsed, not acted upon.</summary>
    ChangePassword = 7,
}

/// <summary>
/// The Type-Data of an EAP-MSCHAPv2 packet (EAP Type 26, draft-kamath-pppext-eap-mschapv2-02 §2): an MS-CHAPv2 packet
/// (RFC 2759) whose CHAP Code became the OpCode.
/// <code>
///  OpCode (1) | MS-CHAPv2-ID (1) | MS-Length (2) | data
///   Challenge: Value-Size (1) = 16 | Challenge (16) | Name
///   Response:  Value-Size (1) = 49 | Peer-Challenge (16) | Reserved (8) | NT-Response (24) | Flags (1) | Name
///   Success/Failure Request: Message (text)
///   Success/Failure Response: the OpCode alone
/// </code>
/// MS-Length should be the EAP Length minus 5 (the Type-Data's length). Servers in the field get it wrong, and
/// wpa_supplicant ignores it by default for that reason, so a wrong value is kept in <see cref="MsLength"/> and
/// otherwise ignored; all lengths come from the EAP Length.
/// </summary>
public sealed class EapMsChapV2Packet
{
    /// <summary>Bytes of OpCode, MS-CHAPv2-ID and MS-Length.</summary>
    public const int HeaderSize = 4;

    /// <summary>Value-Size of a Challenge.</summary>
    public const int ChallengeValueSize = MsChapV2.ChallengeLength;

    /// <summary>Value-Size of a Response: Peer-Challenge, Reserved, NT-Response and Flags.</summary>
    public const int ResponseValueSize = 49;

    private readonly byte[] _value;
    private readonly byte[] _name;
    private readonly byte[] _message;

    private EapMsChapV2Packet(MsChapV2OpCode opCode, bool shortForm, byte msChapV2Id, int msLength, ReadOnlySpan<byte> value,
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> message)
    {
        OpCode = opCode;
        IsShortForm = shortForm;
        MsChapV2Id = msChapV2Id;
        _value = value.ToArray();
        _name = name.ToArray();
        _message = message.ToArray();
        MsLength = msLength < 0 ? Length : msLength;
    }

    /// <summary>The OpCode.</summary>
    public MsChapV2OpCode OpCode { get; }

    /// <summary>A Success or Failure Response: the OpCode alone, without MS-CHAPv2-ID and MS-Length.</summary>
    public bool IsShortForm { get; }

    /// <summary>The MS-CHAPv2-ID (0 in the short form).</summary>
    public byte MsChapV2Id { get; }

    /// <summary>MS-Length as received (as written when built here).</summary>
    public int MsLength { get; }

    /// <summary>The Value of a Challenge (16 bytes) or Response (49 bytes); empty otherwise.</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>The Name of a Challenge (the authenticator's) or Response (the user's); empty otherwise.</summary>
    public ReadOnlySpan<byte> Name => _name;

    /// <summary>The Message of a Success or Failure Request, or the data of a Change-Password; empty otherwise.</summary>
    public ReadOnlySpan<byte> Message => _message;

    /// <summary>A Response's Peer-Challenge.</summary>
    public ReadOnlySpan<byte> PeerChallenge => OpCode == MsChapV2OpCode.Response ? _value.AsSpan(0, 16) : [];

    /// <summary>A Response's NT-Response.</summary>
    public ReadOnlySpan<byte> NtResponse => OpCode == MsChapV2OpCode.Response ? _value.AsSpan(24, MsChapV2.NtResponseLength) : [];

    /// <summary>Bytes of Type-Data this packet occupies.</summary>
    public int Length => IsShortForm ? 1 : HeaderSize + (_value.Length > 0 ? 1 + _value.Length + _name.Length : _message.Length);

    /// <summary>A Challenge.</summary>
    public static EapMsChapV2Packet Challenge(byte msChapV2Id, ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> name)
    {
        if (challenge.Length != ChallengeValueSize) throw new ArgumentException($"the challenge is {ChallengeValueSize} bytes", nameof(challenge));
        return new(MsChapV2OpCode.Challenge, false, msChapV2Id, -1, challenge, name, []);
    }

    /// <summary>A Response, with Reserved and Flags zero.</summary>
    public static EapMsChapV2Packet Response(byte msChapV2Id, ReadOnlySpan<byte> peerChallenge, ReadOnlySpan<byte> ntResponse, ReadOnlySpan<byte> name)
    {
        if (peerChallenge.Length != MsChapV2.ChallengeLength) throw new ArgumentException("the peer challenge is 16 bytes", nameof(peerChallenge));
        if (ntResponse.Length != MsChapV2.NtResponseLength) throw new ArgumentException("the NT-Response is 24 bytes", nameof(ntResponse));
        Span<byte> value = stackalloc byte[ResponseValueSize];
        value.Clear();
        peerChallenge.CopyTo(value);
        ntResponse.CopyTo(value[24..]);
        return new(MsChapV2OpCode.Response, false, msChapV2Id, -1, value, name, []);
    }

    /// <summary>A Success Request carrying <c>S=… M=…</c>.</summary>
    public static EapMsChapV2Packet SuccessRequest(byte msChapV2Id, ReadOnlySpan<byte> message) =>
        new(MsChapV2OpCode.Success, false, msChapV2Id, -1, [], [], message);

    /// <summary>A Failure Request carrying <c>E=… R=… C=… V=… M=…</c>.</summary>
    public static EapMsChapV2Packet FailureRequest(byte msChapV2Id, ReadOnlySpan<byte> message) =>
        new(MsChapV2OpCode.Failure, false, msChapV2Id, -1, [], [], message);

    /// <summary>The peer's Success Response (acknowledges the authenticator's proof).</summary>
    public static EapMsChapV2Packet SuccessResponse() => new(MsChapV2OpCode.Success, true, 0, -1, [], [], []);

    /// <summary>The peer's Failure Response (acknowledges a Failure Request, or gives up).</summary>
    public static EapMsChapV2Packet FailureResponse() => new(MsChapV2OpCode.Failure, true, 0, -1, [], [], []);

    /// <summary>Writes the Type-Data; returns <see cref="Length"/>.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = (byte)OpCode;
        if (IsShortForm) return 1;
        destination[1] = MsChapV2Id;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        if (_value.Length > 0)
        {
            destination[HeaderSize] = (byte)_value.Length;
            _value.CopyTo(destination[(HeaderSize + 1)..]);
            _name.CopyTo(destination[(HeaderSize + 1 + _value.Length)..]);
        }
        else _message.CopyTo(destination[HeaderSize..]);
        return Length;
    }

    /// <summary>The Type-Data's bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    /// <summary>The whole EAP packet around this Type-Data.</summary>
    public EapPacket ToEap(EapCode code, byte identifier) =>
        code == EapCode.Request ? EapPacket.Request(identifier, EapType.MsChapV2, ToArray()) : EapPacket.Response(identifier, EapType.MsChapV2, ToArray());

    /// <summary>
    /// Parses the Type-Data of an EAP-MSCHAPv2 packet. <paramref name="code"/> tells a Success or Failure Response
    /// (OpCode alone) from a Request (with a message).
    /// </summary>
    public static bool TryParse(EapCode code, ReadOnlySpan<byte> typeData, out EapMsChapV2Packet? packet, out ParseError error)
    {
        packet = null;
        error = default;
        if (typeData.Length < 1) { error = new("OpCode", "EAP-MSCHAPv2 packet without an OpCode"); return false; }
        var opCode = (MsChapV2OpCode)typeData[0];
        if (opCode is not (MsChapV2OpCode.Challenge or MsChapV2OpCode.Response or MsChapV2OpCode.Success or MsChapV2OpCode.Failure
            or MsChapV2OpCode.ChangePassword))
        {
            error = new("OpCode", $"unknown EAP-MSCHAPv2 OpCode {typeData[0]}");
            return false;
        }
        // A Success or Failure Response is the OpCode alone; anything after it carries no meaning.
        if (code == EapCode.Response && opCode is (MsChapV2OpCode.Success or MsChapV2OpCode.Failure))
        {
            packet = new(opCode, true, 0, -1, [], [], []);
            return true;
        }
        if (typeData.Length < HeaderSize) { error = new("MS-Length", $"{opCode} of {typeData.Length} bytes, need {HeaderSize}"); return false; }
        byte id = typeData[1];
        int msLength = BinaryPrimitives.ReadUInt16BigEndian(typeData[2..]);
        ReadOnlySpan<byte> data = typeData[HeaderSize..];
        switch (opCode)
        {
            case MsChapV2OpCode.Challenge or MsChapV2OpCode.Response:
            {
                int expected = opCode == MsChapV2OpCode.Challenge ? ChallengeValueSize : ResponseValueSize;
                if (data.Length < 1) { error = new("Value-Size", $"{opCode} ends before Value-Size"); return false; }
                if (data[0] != expected) { error = new("Value-Size", $"{data[0]} in a {opCode}, must be {expected}"); return false; }
                if (data.Length < 1 + expected) { error = new("Value", $"{opCode} has {data.Length - 1} bytes of {expected}"); return false; }
                packet = new(opCode, false, id, msLength, data.Slice(1, expected), data[(1 + expected)..], []);
                return true;
            }
            default:
                packet = new(opCode, false, id, msLength, [], [], data);
                return true;
        }
    }
}
