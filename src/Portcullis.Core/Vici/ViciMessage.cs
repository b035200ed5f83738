using System.Buffers.Binary;
using System.Text;

namespace Portcullis.Core.Vici;

/// <summary>The element types of a VICI message (strongSwan's vici plugin README, "Message format").</summary>
public enum ViciElementType : byte
{
    /// <summary>Begins a named section: type, name length (1), name.</summary>
    SectionStart = 1,
    /// <summary>Ends the section opened last: the type alone.</summary>
    SectionEnd = 2,
    /// <summary>A named value: type, name length (1), name, value length (2, network order), value.</summary>
    KeyValue = 3,
    /// <summary>Begins a named list: type, name length (1), name.</summary>
    ListStart = 4,
    /// <summary>An unnamed item of the open list: type, value length (2), value.</summary>
    ListItem = 5,
    /// <summary>Ends the open list: the type alone.</summary>
    ListEnd = 6,
}

/// <summary>
/// A VICI message: a tree of sections holding key/values (blobs), lists of blobs and subsections, in order. The root
/// is the implicit unnamed section. Rules (README): SECTION_START/END balanced; lists not nested and holding only
/// items; items only in lists; key names unique in their section. Values are blobs; strongSwan's daemon writes
/// strings and numbers as non-NUL-terminated text, and so do we.
/// </summary>
public sealed class ViciMessage
{
    private readonly List<ViciEntry> _entries = [];

    /// <summary>The entries in order.</summary>
    public IReadOnlyList<ViciEntry> Entries => _entries;

    /// <summary>Sections deeper than this are refused: no honest client nests further, and it bounds the work.</summary>
    public const int MaxDepth = 32;

    /// <summary>Adds a key with a text value; returns this message for chaining.</summary>
    public ViciMessage Add(string key, string value) => Add(key, Encoding.UTF8.GetBytes(value));

    /// <summary>Adds a key with a blob value.</summary>
    public ViciMessage Add(string key, byte[] value)
    {
        _entries.Add(new ViciEntry(key, value, null, null));
        return this;
    }

    /// <summary>Adds a list of text items.</summary>
    public ViciMessage AddList(string key, IEnumerable<string> items)
    {
        _entries.Add(new ViciEntry(key, null, [.. items.Select(Encoding.UTF8.GetBytes)], null));
        return this;
    }

    /// <summary>Adds a subsection and returns it.</summary>
    public ViciMessage AddSection(string name)
    {
        var section = new ViciMessage();
        _entries.Add(new ViciEntry(name, null, null, section));
        return section;
    }

    /// <summary>The value of a key as text, or null.</summary>
    public string? Text(string key) => _entries.Find(e => e.Name == key && e.Value is not null)?.Value is { } v ? Encoding.UTF8.GetString(v) : null;

    /// <summary>The value of a key as a blob, or null.</summary>
    public byte[]? Blob(string key) => _entries.Find(e => e.Name == key && e.Value is not null)?.Value;

    /// <summary>The items of a list as text, or null when there is no such list.</summary>
    public IReadOnlyList<string>? List(string key) => _entries.Find(e => e.Name == key && e.Items is not null)?.Items!.Select(i => Encoding.UTF8.GetString(i)).ToList();

    /// <summary>A subsection, or null.</summary>
    public ViciMessage? Section(string name) => _entries.Find(e => e.Name == name && e.Section is not null)?.Section;

    /// <summary>Parses a message. Never throws on input: a malformed message is an error naming the element.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ViciMessage? message, out ViciParseError? error)
    {
        message = null;
        error = null;
        var root = new ViciMessage();
        var stack = new Stack<(ViciMessage, HashSet<string>)>();
        ViciMessage current = root;
        // The names of the open section, for the uniqueness rule: a set, so a 512 KiB message of distinct keys costs
        // linear time, not the quadratic time of searching the entries (seconds of the daemon's loop per request).
        var names = new HashSet<string>(StringComparer.Ordinal);
        List<byte[]>? list = null;
        int offset = 0;
        while (offset < data.Length)
        {
            int start = offset;
            byte rawType = data[offset++];
            if (rawType is < (byte)ViciElementType.SectionStart or > (byte)ViciElementType.ListEnd)
            {
                error = new(ViciErrorKind.UnknownType, "element type", start);
                return false;
            }
            var type = (ViciElementType)rawType;
            bool inList = list is not null;
            if (inList != (type is ViciElementType.ListItem or ViciElementType.ListEnd))
            {
                error = new(ViciErrorKind.Misplaced, type.ToString(), start);
                return false;
            }
            string name = "";
            if (type is ViciElementType.SectionStart or ViciElementType.KeyValue or ViciElementType.ListStart)
            {
                if (!TryReadName(data, ref offset, out name, out error)) return false;
                if (!names.Add(name))
                {
                    error = new(ViciErrorKind.Duplicate, $"name '{name}'", start);
                    return false;
                }
            }
            switch (type)
            {
                case ViciElementType.SectionStart:
                    if (stack.Count >= MaxDepth) { error = new(ViciErrorKind.TooLarge, "section depth", start); return false; }
                    stack.Push((current, names));
                    current = current.AddSection(name);
                    names = new HashSet<string>(StringComparer.Ordinal);
                    break;
                case ViciElementType.SectionEnd:
                    if (stack.Count == 0) { error = new(ViciErrorKind.Unbalanced, "SectionEnd", start); return false; }
                    (current, names) = stack.Pop();
                    break;
                case ViciElementType.KeyValue:
                {
                    if (!TryReadValue(data, ref offset, out byte[] value, out error)) return false;
                    current.Add(name, value);
                    break;
                }
                case ViciElementType.ListStart:
                    list = [];
                    current._entries.Add(new ViciEntry(name, null, list, null));
                    break;
                case ViciElementType.ListItem:
                {
                    if (!TryReadValue(data, ref offset, out byte[] value, out error)) return false;
                    list!.Add(value);
                    break;
                }
                case ViciElementType.ListEnd:
                    list = null;
                    break;
            }
        }
        if (list is not null) { error = new(ViciErrorKind.Unbalanced, "list", offset); return false; }
        if (stack.Count > 0) { error = new(ViciErrorKind.Unbalanced, "section", offset); return false; }
        message = root;
        return true;
    }

    private static bool TryReadName(ReadOnlySpan<byte> data, ref int offset, out string name, out ViciParseError? error)
    {
        name = "";
        error = null;
        if (offset >= data.Length) { error = new(ViciErrorKind.Truncated, "name length", offset); return false; }
        int length = data[offset++];
        if (data.Length - offset < length) { error = new(ViciErrorKind.Truncated, "name", offset); return false; }
        if (length == 0 || !ViciPacket.TryDecodeName(data.Slice(offset, length), out name)) { error = new(ViciErrorKind.BadName, "name", offset); return false; }
        offset += length;
        return true;
    }

    private static bool TryReadValue(ReadOnlySpan<byte> data, ref int offset, out byte[] value, out ViciParseError? error)
    {
        value = [];
        error = null;
        if (data.Length - offset < 2) { error = new(ViciErrorKind.Truncated, "value length", offset); return false; }
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
        offset += 2;
        if (data.Length - offset < length) { error = new(ViciErrorKind.Truncated, "value", offset); return false; }
        value = data.Slice(offset, length).ToArray();
        offset += length;
        return true;
    }

    /// <summary>The encoded length of this message (as the root, without a section frame).</summary>
    public int EncodedLength
    {
        get
        {
            int n = 0;
            foreach (ViciEntry e in _entries)
            {
                int name = 2 + Encoding.ASCII.GetByteCount(e.Name);
                if (e.Value is not null) n += name + 2 + e.Value.Length;
                else if (e.Items is not null) n += name + e.Items.Sum(i => 3 + i.Length) + 1;
                else n += name + e.Section!.EncodedLength + 1;
            }
            return n;
        }
    }

    /// <summary>Encodes the message.</summary>
    public byte[] Encode()
    {
        var buffer = new byte[EncodedLength];
        int written = Write(buffer);
        return written == buffer.Length ? buffer : buffer[..written];
    }

    /// <summary>Writes the encoding into <paramref name="destination"/> (at least <see cref="EncodedLength"/> bytes); returns the bytes written.</summary>
    public int Write(Span<byte> destination)
    {
        int offset = 0;
        foreach (ViciEntry e in _entries)
        {
            if (e.Value is not null)
            {
                destination[offset++] = (byte)ViciElementType.KeyValue;
                WriteName(destination, ref offset, e.Name);
                WriteValue(destination, ref offset, e.Value);
            }
            else if (e.Items is not null)
            {
                destination[offset++] = (byte)ViciElementType.ListStart;
                WriteName(destination, ref offset, e.Name);
                foreach (byte[] item in e.Items)
                {
                    destination[offset++] = (byte)ViciElementType.ListItem;
                    WriteValue(destination, ref offset, item);
                }
                destination[offset++] = (byte)ViciElementType.ListEnd;
            }
            else
            {
                destination[offset++] = (byte)ViciElementType.SectionStart;
                WriteName(destination, ref offset, e.Name);
                offset += e.Section!.Write(destination[offset..]);
                destination[offset++] = (byte)ViciElementType.SectionEnd;
            }
        }
        return offset;
    }

    private static void WriteName(Span<byte> destination, ref int offset, string name)
    {
        int length = Encoding.ASCII.GetByteCount(name);
        if (length is 0 or > 255) throw new InvalidOperationException($"VICI names are 1 to 255 bytes: '{name}'");
        destination[offset++] = (byte)length;
        offset += Encoding.ASCII.GetBytes(name, destination[offset..]);
    }

    private static void WriteValue(Span<byte> destination, ref int offset, byte[] value)
    {
        if (value.Length > ushort.MaxValue) throw new InvalidOperationException($"a VICI value holds at most {ushort.MaxValue} bytes");
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], (ushort)value.Length);
        offset += 2;
        value.CopyTo(destination[offset..]);
        offset += value.Length;
    }
}

/// <summary>One entry of a <see cref="ViciMessage"/>: exactly one of a value, a list of items or a subsection.</summary>
/// <param name="Name">The key, list or section name.</param>
/// <param name="Value">A key/value's blob.</param>
/// <param name="Items">A list's items.</param>
/// <param name="Section">A subsection.</param>
public sealed record ViciEntry(string Name, byte[]? Value, List<byte[]>? Items, ViciMessage? Section);
