using System.Buffers.Binary;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// Encrypted and Authenticated Fragment payload, SKF (RFC 7383 §2.5): one piece of a message that would otherwise
/// travel in an SK payload, protected on its own:
/// <code>
///  generic header | Fragment Number (2) | Total Fragments (2) | Initialization Vector | Encrypted content ‖ Padding ‖ Pad Length | Integrity Checksum Data
/// </code>
/// It is the only payload of its message. The AEAD's associated data is the IKE header and the SKF header up to and
/// including Total Fragments; a plain integrity transform covers the message up to the checksum, as for SK. The
/// first fragment's Next Payload names the first inner payload, later fragments carry 0. A parsed instance records
/// where the payload sits; <see cref="TryUnprotect"/> verifies and decrypts it.
/// </summary>
public readonly record struct EncryptedFragmentPayload(PayloadType NextPayload, ushort FragmentNumber, ushort TotalFragments, int PayloadOffset, int PayloadLength)
{
    /// <summary>Fragment Number and Total Fragments, between the generic header and the IV.</summary>
    public const int FragmentFieldsSize = 4;

    /// <summary>
    /// Reads the SKF payload of a message whose header was read and names SKF as its first payload. Checks what can be
    /// checked without keys: the payload fills the message, Fragment Number and Total Fragments are not 0 and the number
    /// is not above the total.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> message, IkeHeader header, out EncryptedFragmentPayload fragment, out ParseError error)
    {
        fragment = default;
        error = default;
        if (header.NextPayload != PayloadType.EncryptedFragment) { error = new("Next Payload", $"{header.NextPayload}, not an Encrypted Fragment payload"); return false; }
        if (header.Length > message.Length) { error = new("Length", $"header says {header.Length} bytes, datagram has {message.Length}"); return false; }
        ReadOnlySpan<byte> rest = message[IkeHeader.Size..(int)header.Length];
        if (rest.Length < Payload.HeaderSize + FragmentFieldsSize)
        {
            error = new("Encrypted Fragment payload header", $"{rest.Length} bytes left, need {Payload.HeaderSize + FragmentFieldsSize}");
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
        if (length != rest.Length) { error = new("Encrypted Fragment Payload Length", $"{length}, but {rest.Length} bytes follow the IKE header (it must be the only payload)"); return false; }
        ushort number = BinaryPrimitives.ReadUInt16BigEndian(rest[Payload.HeaderSize..]);
        ushort total = BinaryPrimitives.ReadUInt16BigEndian(rest[(Payload.HeaderSize + 2)..]);
        if (total == 0) { error = new("Total Fragments", "0"); return false; }
        if (number == 0) { error = new("Fragment Number", "0 (numbering starts at 1)"); return false; }
        if (number > total) { error = new("Fragment Number", $"{number} is above Total Fragments {total}"); return false; }
        fragment = new EncryptedFragmentPayload((PayloadType)rest[0], number, total, IkeHeader.Size, length);
        return true;
    }

    /// <summary>
    /// Builds one whole fragment message: <paramref name="header"/> (Next Payload and Length filled in) and an SKF
    /// payload carrying <paramref name="content"/>, a piece of the inner payload chain, protected with <paramref name="protection"/>.
    /// </summary>
    public static byte[] Write(IkeHeader header, ushort fragmentNumber, ushort totalFragments, PayloadType nextPayload, ReadOnlySpan<byte> content,
        EncryptedPayload protection)
    {
        Span<byte> fields = stackalloc byte[FragmentFieldsSize];
        BinaryPrimitives.WriteUInt16BigEndian(fields, fragmentNumber);
        BinaryPrimitives.WriteUInt16BigEndian(fields[2..], totalFragments);
        return protection.Seal(header, PayloadType.EncryptedFragment, nextPayload, fields, content);
    }

    /// <summary>Verifies and decrypts this fragment of <paramref name="message"/>: its piece of the inner payload chain, padding removed.</summary>
    public bool TryUnprotect(ReadOnlySpan<byte> message, EncryptedPayload protection, out byte[] content, out ParseError error) =>
        protection.TryOpen(message[..(PayloadOffset + PayloadLength)], PayloadOffset, PayloadLength, FragmentFieldsSize, out content, out error);
}
