using System.Text;
using Portcullis.Core.Vici;

namespace Portcullis.Core.Tests.Vici;

public sealed class ViciMessageTests
{
    // The encoding example of strongSwan's vici README ("Encoding example"):
    // key1 = value1, section1 = { sub-section = { key2 = value2 }, list1 = [ item1, item2 ] }
    private static readonly byte[] s_readmeExample =
    [
        3, 4, (byte)'k', (byte)'e', (byte)'y', (byte)'1', 0, 6, (byte)'v', (byte)'a', (byte)'l', (byte)'u', (byte)'e', (byte)'1',
        1, 8, (byte)'s', (byte)'e', (byte)'c', (byte)'t', (byte)'i', (byte)'o', (byte)'n', (byte)'1',
        1, 11, (byte)'s', (byte)'u', (byte)'b', (byte)'-', (byte)'s', (byte)'e', (byte)'c', (byte)'t', (byte)'i', (byte)'o', (byte)'n',
        3, 4, (byte)'k', (byte)'e', (byte)'y', (byte)'2', 0, 6, (byte)'v', (byte)'a', (byte)'l', (byte)'u', (byte)'e', (byte)'2',
        2,
        4, 5, (byte)'l', (byte)'i', (byte)'s', (byte)'t', (byte)'1',
        5, 0, 5, (byte)'i', (byte)'t', (byte)'e', (byte)'m', (byte)'1',
        5, 0, 5, (byte)'i', (byte)'t', (byte)'e', (byte)'m', (byte)'2',
        6,
        2,
    ];

    private static ViciMessage ReadmeTree()
    {
        var m = new ViciMessage().Add("key1", "value1");
        ViciMessage section = m.AddSection("section1");
        section.AddSection("sub-section").Add("key2", "value2");
        section.AddList("list1", ["item1", "item2"]);
        return m;
    }

    [Fact]
    public void Writes_the_readme_example_byte_for_byte()
    {
        ViciMessage m = ReadmeTree();
        Assert.Equal(s_readmeExample.Length, m.EncodedLength);
        Assert.Equal(s_readmeExample, m.Encode());
    }

    [Fact]
    public void Parses_the_readme_example()
    {
        Assert.True(ViciMessage.TryParse(s_readmeExample, out ViciMessage? m, out ViciParseError? error), error?.ToString());
        Assert.Equal("value1", m!.Text("key1"));
        ViciMessage section1 = m.Section("section1")!;
        Assert.Equal("value2", section1.Section("sub-section")!.Text("key2"));
        Assert.Equal(["item1", "item2"], section1.List("list1")!);
        Assert.Null(m.Text("section1"));
        Assert.Equal(s_readmeExample, m.Encode());
    }

    [Fact]
    public void An_empty_message_is_valid()
    {
        Assert.True(ViciMessage.TryParse([], out ViciMessage? m, out _));
        Assert.Empty(m!.Entries);
        Assert.Empty(m.Encode());
    }

    [Fact]
    public void Values_are_blobs_and_empty_lists_are_allowed()
    {
        var m = new ViciMessage().Add("data", [0, 1, 2, 255]).AddList("none", []);
        Assert.True(ViciMessage.TryParse(m.Encode(), out ViciMessage? back, out _));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, back!.Blob("data"));
        Assert.Empty(back.List("none")!);
    }

    public static TheoryData<byte[], ViciErrorKind, string> Malformed => new()
    {
        { [9], ViciErrorKind.UnknownType, "element type" },
        { [0], ViciErrorKind.UnknownType, "element type" },
        { [3], ViciErrorKind.Truncated, "name length" },
        { [3, 4, (byte)'k'], ViciErrorKind.Truncated, "name" },
        { [3, 1, (byte)'k', 0], ViciErrorKind.Truncated, "value length" },
        { [3, 1, (byte)'k', 0, 5, (byte)'v'], ViciErrorKind.Truncated, "value" },
        { [3, 0, 0, 0], ViciErrorKind.BadName, "name" },
        { [3, 1, 0, 0, 0], ViciErrorKind.BadName, "name" },
        { [1, 1, (byte)'s'], ViciErrorKind.Unbalanced, "section" },
        { [2], ViciErrorKind.Unbalanced, "SectionEnd" },
        { [4, 1, (byte)'l'], ViciErrorKind.Unbalanced, "list" },
        { [5, 0, 0], ViciErrorKind.Misplaced, "ListItem" },
        { [6], ViciErrorKind.Misplaced, "ListEnd" },
        { [4, 1, (byte)'l', 3, 1, (byte)'k', 0, 0, 6], ViciErrorKind.Misplaced, "KeyValue" },
        { [4, 1, (byte)'l', 4, 1, (byte)'m', 6], ViciErrorKind.Misplaced, "ListStart" },
        { [4, 1, (byte)'l', 1, 1, (byte)'s', 2, 6], ViciErrorKind.Misplaced, "SectionStart" },
        { [3, 1, (byte)'k', 0, 0, 3, 1, (byte)'k', 0, 0], ViciErrorKind.Duplicate, "name 'k'" },
        // The same name after a subsection closed is still a duplicate in the outer section.
        { [3, 1, (byte)'k', 0, 0, 1, 1, (byte)'s', 3, 1, (byte)'j', 0, 0, 2, 4, 1, (byte)'k', 6], ViciErrorKind.Duplicate, "name 'k'" },
        { [1, 1, (byte)'s', 2, 1, 1, (byte)'s', 2], ViciErrorKind.Duplicate, "name 's'" },
    };

    [Fact]
    public void A_name_is_unique_per_section_not_per_message()
    {
        // k at the root, k in a subsection, k in a second subsection: three sections, no duplicate.
        byte[] data = [3, 1, (byte)'k', 0, 0, 1, 1, (byte)'a', 3, 1, (byte)'k', 0, 0, 2, 1, 1, (byte)'b', 4, 1, (byte)'k', 6, 2];
        Assert.True(ViciMessage.TryParse(data, out ViciMessage? m, out ViciParseError? error), error?.ToString());
        Assert.Equal(["k", "a", "b"], m!.Entries.Select(e => e.Name));
        Assert.Equal(data, m.Encode());
    }

    /// <summary>
    /// The fuzzer's find: a request of 58 244 distinct keys (a full 512 KiB segment) took 30 s, every key searched
    /// against all before it. The uniqueness check is now a set; this checks it still finds the duplicate that
    /// ends such a message (the corpus keeps the full input, vici-packet/regression-58k-distinct-keys.bin, under
    /// the fuzzer's hang watchdog).
    /// </summary>
    [Fact]
    public void A_duplicate_after_many_distinct_keys_is_found()
    {
        var bytes = new List<byte>();
        for (int i = 0; i < 20_000; i++)
        {
            byte[] name = System.Text.Encoding.ASCII.GetBytes(i.ToString("x5"));
            bytes.AddRange([3, (byte)name.Length, .. name, 0, 0]);
        }
        Assert.True(ViciMessage.TryParse(bytes.ToArray(), out ViciMessage? m, out _));
        Assert.Equal(20_000, m!.Entries.Count);
        bytes.AddRange([3, 5, .. "04e20"u8, 0, 0]); // 20000 is 0x4e20: new; 0x00abc is old
        bytes.AddRange([3, 5, .. "00abc"u8, 0, 0]);
        Assert.False(ViciMessage.TryParse(bytes.ToArray(), out _, out ViciParseError? error));
        Assert.Equal(ViciErrorKind.Duplicate, error!.Kind);
        Assert.Equal("name '00abc'", error.Field);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_input_is_a_typed_error_naming_the_field(byte[] data, ViciErrorKind kind, string field)
    {
        Assert.False(ViciMessage.TryParse(data, out ViciMessage? m, out ViciParseError? error));
        Assert.Null(m);
        Assert.Equal(kind, error!.Kind);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_refused()
    {
        var data = new List<byte>();
        for (int i = 0; i <= ViciMessage.MaxDepth; i++) data.AddRange([1, 1, (byte)'s']);
        Assert.False(ViciMessage.TryParse(data.ToArray(), out _, out ViciParseError? error));
        Assert.Equal(ViciErrorKind.TooLarge, error!.Kind);
    }

    [Fact]
    public void Every_truncation_of_a_valid_message_is_an_error_never_an_exception()
    {
        byte[] full = ReadmeTree().Encode();
        for (int n = 1; n < full.Length; n++)
        {
            bool ok = ViciMessage.TryParse(full.AsSpan(0, n), out _, out ViciParseError? error);
            // A cut right after a complete element at the root would be valid; here every root element is the
            // first key or the section, so only the cut after key1's value parses.
            if (n == 14) Assert.True(ok);
            else Assert.False(ok, $"cut at {n} parsed");
            if (!ok) Assert.NotNull(error);
        }
    }

    [Fact]
    public void Packets_carry_a_name_only_for_named_types()
    {
        byte[] message = ReadmeTree().Encode();
        byte[] request = new ViciPacket(ViciPacketType.CmdRequest, "list-sas", message).ToSegment();
        Assert.Equal(new byte[] { 0, 0, 0, (byte)(1 + 1 + 8 + message.Length), 0, 8 }, request[..6]);
        Assert.Equal("list-sas", Encoding.ASCII.GetString(request, 6, 8));
        Assert.True(ViciPacket.TryReadSegmentLength(request, out int length, out _));
        Assert.Equal(request.Length - 4, length);
        Assert.True(ViciPacket.TryParse(request.AsSpan(4), out ViciPacket? parsed, out _));
        Assert.Equal(ViciPacketType.CmdRequest, parsed!.Type);
        Assert.Equal("list-sas", parsed.Name);
        Assert.Equal(message, parsed.Message);

        byte[] confirm = new ViciPacket(ViciPacketType.EventConfirm, "", []).ToSegment();
        Assert.Equal(new byte[] { 0, 0, 0, 1, 5 }, confirm);
        Assert.True(ViciPacket.TryParse(confirm.AsSpan(4), out ViciPacket? c, out _));
        Assert.Equal(("", 0), (c!.Name, c.Message.Length));
    }

    [Theory]
    [InlineData(new byte[] { 8 }, ViciErrorKind.UnknownType, "packet type")]
    [InlineData(new byte[] { 0 }, ViciErrorKind.Truncated, "name length")]
    [InlineData(new byte[] { 3, 5, (byte)'l' }, ViciErrorKind.Truncated, "name")]
    [InlineData(new byte[] { 7, 1, 10 }, ViciErrorKind.BadName, "name")]
    public void Malformed_packets_are_typed_errors(byte[] segment, ViciErrorKind kind, string field)
    {
        Assert.False(ViciPacket.TryParse(segment, out _, out ViciParseError? error));
        Assert.Equal((kind, field), (error!.Kind, error.Field));
    }

    [Fact]
    public void Segment_lengths_of_zero_or_over_512_KiB_are_refused()
    {
        Assert.False(ViciPacket.TryReadSegmentLength([0, 0, 0, 0], out _, out ViciParseError? zero));
        Assert.Equal(ViciErrorKind.Truncated, zero!.Kind);
        Assert.False(ViciPacket.TryReadSegmentLength([0, 8, 0, 1], out _, out ViciParseError? big));
        Assert.Equal(ViciErrorKind.TooLarge, big!.Kind);
        Assert.True(ViciPacket.TryReadSegmentLength([0, 8, 0, 0], out int max, out _));
        Assert.Equal(ViciPacket.MaxSegmentLength, max);
    }
}
