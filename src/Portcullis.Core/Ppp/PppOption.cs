using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// One Configuration Option of an LCP or NCP Configure packet (RFC 1661 §6):
/// <code>
///  Type (1) | Length (1, the whole option, at least 2) | Data
/// </code>
/// The meaning of Type depends on the protocol: see <see cref="LcpOptions"/> and <see cref="IpcpOptions"/>.
/// </summary>
public sealed class PppOption
{
    /// <summary>Bytes of Type and Length.</summary>
    public const int HeaderSize = 2;

    private readonly byte[] _data;

    /// <summary>An option of <paramref name="type"/> with <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The data does not fit in a Length byte.</exception>
    public PppOption(byte type, ReadOnlySpan<byte> data)
    {
        if (data.Length > byte.MaxValue - HeaderSize) throw new ArgumentException($"option data holds at most {byte.MaxValue - HeaderSize} bytes", nameof(data));
        Type = type;
        _data = data.ToArray();
    }

    /// <summary>The Type.</summary>
    public byte Type { get; }

    /// <summary>The Data.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>The Length field: bytes of the whole option.</summary>
    public int Length => HeaderSize + _data.Length;

    /// <summary>Writes the option; returns <see cref="Length"/>.</summary>
    public int Write(Span<byte> destination)
    {
        destination[0] = Type;
        destination[1] = (byte)Length;
        _data.CopyTo(destination[HeaderSize..]);
        return Length;
    }

    /// <summary>Whether <paramref name="other"/> has the same Type and Data.</summary>
    public bool SameAs(PppOption other) => Type == other.Type && Data.SequenceEqual(other.Data);

    /// <inheritdoc />
    public override string ToString() => $"{Type}:{Convert.ToHexStringLower(_data)}";

    /// <summary>Parses the Options field of a Configure packet into its options, in order.</summary>
    public static bool TryParseList(ReadOnlySpan<byte> options, out List<PppOption> parsed, out ParseError error)
    {
        parsed = [];
        error = default;
        int index = 0;
        while (options.Length > 0)
        {
            index++;
            if (options.Length < HeaderSize) { error = new("Length", $"option {index} ends after its Type"); return false; }
            int length = options[1];
            if (length < HeaderSize) { error = new("Length", $"option {index} (type {options[0]}) has Length {length}, less than 2"); return false; }
            if (length > options.Length) { error = new("Length", $"option {index} (type {options[0]}) has Length {length}, but {options.Length} bytes are left"); return false; }
            parsed.Add(new PppOption(options[0], options[HeaderSize..length]));
            options = options[length..];
        }
        return true;
    }

    /// <summary>The Options field holding <paramref name="options"/> in order.</summary>
    public static byte[] WriteList(IReadOnlyList<PppOption> options)
    {
        int length = 0;
        foreach (PppOption o in options) length += o.Length;
        var bytes = new byte[length];
        int at = 0;
        foreach (PppOption o in options) at += o.Write(bytes.AsSpan(at));
        return bytes;
    }
}
