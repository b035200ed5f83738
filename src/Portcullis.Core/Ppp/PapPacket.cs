using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>PAP Codes (RFC 1334 §2.2).</summary>
public enum PapCode : byte
{
    /// <summary>Authenticate-Request: the peer's Peer-ID and Password.</summary>
    AuthenticateRequest = 1,
    /// <summary>Authenticate-Ack.</summary>
    AuthenticateAck = 2,
    /// <summary>Authenticate-Nak.</summary>
    AuthenticateNak = 3,
}

/// <summary>
/// A PAP packet (RFC 1334 §2.2):
/// <code>
///  Code (1) | Identifier (1) | Length (2)
///   Authenticate-Request: Peer-ID Length (1) | Peer-ID | Passwd-Length (1) | Password
///   Authenticate-Ack/Nak: Msg-Length (1) | Message
/// </code>
/// An Ack or Nak of Length 4 (no Msg-Length at all) is accepted as an empty message, as some servers send it.
/// The Password is a secret: <see cref="Wipe"/> clears it once checked.
/// </summary>
public sealed class PapPacket
{
    /// <summary>Bytes of Code, Identifier and Length.</summary>
    public const int HeaderSize = 4;

    private readonly byte[] _peerId;
    private readonly byte[] _password;
    private readonly byte[] _message;

    private PapPacket(PapCode code, byte identifier, ReadOnlySpan<byte> peerId, ReadOnlySpan<byte> password, ReadOnlySpan<byte> message)
    {
        if (peerId.Length > byte.MaxValue || password.Length > byte.MaxValue || message.Length > byte.MaxValue)
            throw new ArgumentException("PAP fields hold at most 255 bytes each");
        Code = code;
        Identifier = identifier;
        _peerId = peerId.ToArray();
        _password = GC.AllocateArray<byte>(password.Length, pinned: true);
        password.CopyTo(_password);
        _message = message.ToArray();
    }

    /// <summary>The Code.</summary>
    public PapCode Code { get; }

    /// <summary>The Identifier.</summary>
    public byte Identifier { get; }

    /// <summary>An Authenticate-Request's Peer-ID (the user name).</summary>
    public ReadOnlySpan<byte> PeerId => _peerId;

    /// <summary>An Authenticate-Request's Password.</summary>
    public ReadOnlySpan<byte> Password => _password;

    /// <summary>An Authenticate-Ack's or -Nak's Message.</summary>
    public ReadOnlySpan<byte> Message => _message;

    /// <summary>The Length field.</summary>
    public int Length => HeaderSize + (Code == PapCode.AuthenticateRequest ? 2 + _peerId.Length + _password.Length : 1 + _message.Length);

    /// <summary>An Authenticate-Request.</summary>
    public static PapPacket AuthenticateRequest(byte identifier, ReadOnlySpan<byte> peerId, ReadOnlySpan<byte> password) =>
        new(PapCode.AuthenticateRequest, identifier, peerId, password, []);

    /// <summary>An Authenticate-Ack.</summary>
    public static PapPacket AuthenticateAck(byte identifier, ReadOnlySpan<byte> message) => new(PapCode.AuthenticateAck, identifier, [], [], message);

    /// <summary>An Authenticate-Nak.</summary>
    public static PapPacket AuthenticateNak(byte identifier, ReadOnlySpan<byte> message) => new(PapCode.AuthenticateNak, identifier, [], [], message);

    /// <summary>Writes the packet; returns <see cref="Length"/>.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = (byte)Code;
        destination[1] = Identifier;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        Span<byte> body = destination[HeaderSize..];
        if (Code == PapCode.AuthenticateRequest)
        {
            body[0] = (byte)_peerId.Length;
            _peerId.CopyTo(body[1..]);
            body[1 + _peerId.Length] = (byte)_password.Length;
            _password.CopyTo(body[(2 + _peerId.Length)..]);
        }
        else
        {
            body[0] = (byte)_message.Length;
            _message.CopyTo(body[1..]);
        }
        return Length;
    }

    /// <summary>The packet's bytes (the caller wipes them if they hold a password).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    /// <summary>Zeroes the password held.</summary>
    public void Wipe() => CryptographicOperations.ZeroMemory(_password);

    /// <summary>Parses the Information field of a PAP frame.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out PapPacket? parsed, out ParseError error)
    {
        parsed = null;
        error = default;
        if (packet.Length < HeaderSize) { error = new("Length", $"PAP packet of {packet.Length} bytes, the header alone is {HeaderSize}"); return false; }
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (length < HeaderSize) { error = new("Length", $"{length}, less than the {HeaderSize}-byte header"); return false; }
        if (length > packet.Length) { error = new("Length", $"{length}, but only {packet.Length} bytes arrived"); return false; }
        byte identifier = packet[1];
        ReadOnlySpan<byte> body = packet[HeaderSize..length];
        switch ((PapCode)packet[0])
        {
            case PapCode.AuthenticateRequest:
            {
                if (body.Length < 1) { error = new("Peer-ID Length", "Authenticate-Request ends before it"); return false; }
                int idLength = body[0];
                if (body.Length < 1 + idLength) { error = new("Peer-ID", $"{idLength} bytes announced, {body.Length - 1} present"); return false; }
                ReadOnlySpan<byte> peerId = body.Slice(1, idLength);
                body = body[(1 + idLength)..];
                if (body.Length < 1) { error = new("Passwd-Length", "Authenticate-Request ends before it"); return false; }
                int passwordLength = body[0];
                if (body.Length < 1 + passwordLength) { error = new("Password", $"{passwordLength} bytes announced, {body.Length - 1} present"); return false; }
                parsed = new PapPacket(PapCode.AuthenticateRequest, identifier, peerId, body.Slice(1, passwordLength), []);
                return true;
            }
            case PapCode.AuthenticateAck or PapCode.AuthenticateNak:
            {
                ReadOnlySpan<byte> message = [];
                if (body.Length >= 1)
                {
                    int messageLength = body[0];
                    if (body.Length < 1 + messageLength) { error = new("Msg-Length", $"{messageLength} bytes announced, {body.Length - 1} present"); return false; }
                    message = body.Slice(1, messageLength);
                }
                parsed = new PapPacket((PapCode)packet[0], identifier, [], [], message);
                return true;
            }
            default:
                error = new("Code", $"unknown PAP Code {packet[0]}");
                return false;
        }
    }
}
