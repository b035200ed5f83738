using System.Buffers.Binary;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>CHAP Codes (RFC 1994 §4), shared by MS-CHAPv2 (RFC 2759 §3).</summary>
public enum ChapCode : byte
{
    /// <summary>Challenge.</summary>
    Challenge = 1,
    /// <summary>Response.</summary>
    Response = 2,
    /// <summary>Success.</summary>
    Success = 3,
    /// <summary>Failure.</summary>
    Failure = 4,
    /// <summary>MS-CHAPv2 Change-Password (RFC 2759 §7), which Portcullis does not act upon.</summary>
    ChangePassword = 7,
}

/// <summary>
/// A CHAP packet (RFC 1994 §4), as MD5 CHAP and MS-CHAPv2 (RFC 2759 §4-6) both use it:
/// <code>
///  Code (1) | Identifier (1) | Length (2)
///   Challenge/Response: Value-Size (1) | Value | Name (to the end)
///   Success/Failure:    Message (to the end)
/// </code>
/// For MS-CHAPv2 the Challenge's Value is 16 bytes and the Response's 49 (<see cref="MsChapV2ResponseValue"/>).
/// </summary>
public sealed class ChapPacket
{
    /// <summary>Bytes of Code, Identifier and Length.</summary>
    public const int HeaderSize = 4;

    private readonly byte[] _value;
    private readonly byte[] _name;
    private readonly byte[] _message;

    private ChapPacket(ChapCode code, byte identifier, ReadOnlySpan<byte> value, ReadOnlySpan<byte> name, ReadOnlySpan<byte> message)
    {
        Code = code;
        Identifier = identifier;
        _value = value.ToArray();
        _name = name.ToArray();
        _message = message.ToArray();
        if (Length > ushort.MaxValue) throw new ArgumentException($"a CHAP packet holds at most {ushort.MaxValue} bytes");
    }

    /// <summary>The Code.</summary>
    public ChapCode Code { get; }

    /// <summary>The Identifier.</summary>
    public byte Identifier { get; }

    /// <summary>A Challenge's or Response's Value.</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>A Challenge's Name (the authenticator's) or Response's (the user's).</summary>
    public ReadOnlySpan<byte> Name => _name;

    /// <summary>A Success's or Failure's Message (MS-CHAPv2: <c>S=… M=…</c> or <c>E=… R=… C=… V=… M=…</c>).</summary>
    public ReadOnlySpan<byte> Message => _message;

    /// <summary>Whether the packet has Value and Name (Challenge and Response).</summary>
    public bool HasValue => Code is ChapCode.Challenge or ChapCode.Response;

    /// <summary>The Length field.</summary>
    public int Length => HeaderSize + (HasValue ? 1 + _value.Length + _name.Length : _message.Length);

    /// <summary>A Challenge.</summary>
    public static ChapPacket Challenge(byte identifier, ReadOnlySpan<byte> value, ReadOnlySpan<byte> name) => WithValue(ChapCode.Challenge, identifier, value, name);

    /// <summary>A Response.</summary>
    public static ChapPacket Response(byte identifier, ReadOnlySpan<byte> value, ReadOnlySpan<byte> name) => WithValue(ChapCode.Response, identifier, value, name);

    /// <summary>A Success.</summary>
    public static ChapPacket Success(byte identifier, ReadOnlySpan<byte> message) => new(ChapCode.Success, identifier, [], [], message);

    /// <summary>A Failure.</summary>
    public static ChapPacket Failure(byte identifier, ReadOnlySpan<byte> message) => new(ChapCode.Failure, identifier, [], [], message);

    private static ChapPacket WithValue(ChapCode code, byte identifier, ReadOnlySpan<byte> value, ReadOnlySpan<byte> name)
    {
        if (value.Length is < 1 or > byte.MaxValue) throw new ArgumentException("the Value is 1 to 255 bytes", nameof(value));
        return new ChapPacket(code, identifier, value, name, []);
    }

    /// <summary>Writes the packet; returns <see cref="Length"/>.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = (byte)Code;
        destination[1] = Identifier;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        if (HasValue)
        {
            destination[HeaderSize] = (byte)_value.Length;
            _value.CopyTo(destination[(HeaderSize + 1)..]);
            _name.CopyTo(destination[(HeaderSize + 1 + _value.Length)..]);
        }
        else _message.CopyTo(destination[HeaderSize..]);
        return Length;
    }

    /// <summary>The packet's bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    /// <summary>Parses the Information field of a CHAP frame.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out ChapPacket? parsed, out ParseError error)
    {
        parsed = null;
        error = default;
        if (packet.Length < HeaderSize) { error = new("Length", $"CHAP packet of {packet.Length} bytes, the header alone is {HeaderSize}"); return false; }
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (length < HeaderSize) { error = new("Length", $"{length}, less than the {HeaderSize}-byte header"); return false; }
        if (length > packet.Length) { error = new("Length", $"{length}, but only {packet.Length} bytes arrived"); return false; }
        var code = (ChapCode)packet[0];
        byte identifier = packet[1];
        ReadOnlySpan<byte> body = packet[HeaderSize..length];
        switch (code)
        {
            case ChapCode.Challenge or ChapCode.Response:
            {
                if (body.Length < 1) { error = new("Value-Size", $"{code} ends before it"); return false; }
                int size = body[0];
                if (size == 0) { error = new("Value-Size", "0, must be at least 1"); return false; }
                if (body.Length < 1 + size) { error = new("Value", $"Value-Size {size}, {body.Length - 1} bytes present"); return false; }
                parsed = new ChapPacket(code, identifier, body.Slice(1, size), body[(1 + size)..], []);
                return true;
            }
            case ChapCode.Success or ChapCode.Failure or ChapCode.ChangePassword:
                parsed = new ChapPacket(code, identifier, [], [], body);
                return true;
            default:
                error = new("Code", $"unknown CHAP Code {packet[0]}");
                return false;
        }
    }
}
