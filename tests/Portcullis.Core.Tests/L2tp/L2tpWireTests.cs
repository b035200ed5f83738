using System.Buffers.Binary;
using System.Diagnostics;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.L2tp;
using Portcullis.Core.L2tp.Wire;

namespace Portcullis.Core.Tests.L2tp;

/// <summary>The L2TP header, AVPs, control messages, hidden AVPs and tunnel authentication (RFC 2661 §3, §4, §5.1.1).</summary>
public class L2tpWireTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    private static readonly byte[] Secret = "Portcullis test secret"u8.ToArray();

    // ---- header -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(L2tpHeaderFlags.None, 6)]
    [InlineData(L2tpHeaderFlags.Length, 8)]
    [InlineData(L2tpHeaderFlags.Sequence, 10)]
    [InlineData(L2tpHeaderFlags.Length | L2tpHeaderFlags.Sequence, 12)]
    [InlineData(L2tpHeaderFlags.Offset, 8)]
    [InlineData(L2tpHeaderFlags.Length | L2tpHeaderFlags.Sequence | L2tpHeaderFlags.Offset | L2tpHeaderFlags.Priority, 14)]
    public void DataHeaderRoundTrips(L2tpHeaderFlags flags, int size)
    {
        ushort offset = (flags & L2tpHeaderFlags.Offset) != 0 ? (ushort)3 : (ushort)0;
        byte[] payload = [0xFF, 0x03, 0xC0, 0x21, 0x01];
        int total = size + offset + payload.Length;
        var header = new L2tpHeader(flags, (flags & L2tpHeaderFlags.Length) != 0 ? (ushort)total : (ushort)0, 0x1234, 0xABCD, 7, 9, offset);
        byte[] bytes = new byte[total];
        Assert.Equal(size + offset, header.Write(bytes));
        payload.CopyTo(bytes, size + offset);
        Assert.True(L2tpHeader.TryParse(bytes, out L2tpHeader back, out int length, out ParseError error), error.ToString());
        Assert.Equal(total, length);
        Assert.Equal(header.Flags, back.Flags);
        Assert.Equal(0x1234, back.TunnelId);
        Assert.Equal(0xABCD, back.SessionId);
        Assert.Equal(size, back.FieldsSize);
        Assert.Equal(size + offset, back.PayloadOffset);
        if ((flags & L2tpHeaderFlags.Sequence) != 0) Assert.Equal((7, 9), (back.Ns, back.Nr));
        Assert.Equal(payload, bytes[back.PayloadOffset..length]);
        Assert.False(back.IsControl);
    }

    [Fact]
    public void ControlHeaderIsTheRfcLayout()
    {
        byte[] bytes = new byte[12];
        L2tpHeader.Control(12, 0x0102, 0x0304, 5, 6).Write(bytes);
        Assert.Equal(Hex("C802 000C 0102 0304 0005 0006"), bytes);
        Assert.True(L2tpHeader.TryParse(bytes, out L2tpHeader h, out _, out _));
        Assert.True(h.IsControl && h.HasLength && h.HasSequence && !h.HasOffset);
    }

    [Fact]
    public void EveryHeaderTruncationIsAParseError()
    {
        byte[] whole = Hex("CA02 0010 0102 0304 0005 0006 0002 0000");
        // Drop the O bit (control messages may not carry it): a 12-byte control header, length 16.
        whole[0] = 0xC8;
        for (int n = 0; n < 16; n++)
        {
            Assert.False(L2tpHeader.TryParse(whole.AsSpan(0, n), out _, out _, out ParseError error));
            Assert.NotNull(error.Field);
        }
        Assert.True(L2tpHeader.TryParse(whole, out _, out _, out _));
    }

    [Theory]
    [InlineData("C803 000C 0000 0000 0000 0000", "Ver")]
    [InlineData("C801 000C 0000 0000 0000 0000", "Ver")]
    [InlineData("8802 0000 0000 0000 0000", "L bit")]
    [InlineData("C002 0008 0000 0000", "S bit")]
    [InlineData("CA02 000E 0000 0000 0000 0000 0000", "O bit")]
    [InlineData("C802 000B 0000 0000 0000 0000", "Length")]
    [InlineData("C802 00FF 0000 0000 0000 0000", "Length")]
    [InlineData("0202 0000 0000 0009 00", "Offset Size")]
    public void BadHeadersNameTheField(string hex, string field)
    {
        Assert.False(L2tpHeader.TryParse(Hex(hex), out _, out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    // ---- AVPs ---------------------------------------------------------------------------------------------

    [Fact]
    public void AvpHeaderRoundTripsAndChecksLength()
    {
        byte[] bytes = new byte[8];
        new AvpHeader(true, true, 0, 8, 311, 1).Write(bytes);
        Assert.Equal(Hex("C008 0137 0001"), bytes[..6]);
        Assert.True(AvpHeader.TryParse(bytes, out AvpHeader h, out _));
        Assert.Equal(new AvpHeader(true, true, 0, 8, 311, 1), h);
        Assert.False(AvpHeader.TryParse(bytes.AsSpan(0, 7), out _, out ParseError e));
        Assert.Equal("AVP Length", e.Field);
        Assert.False(AvpHeader.TryParse(bytes.AsSpan(0, 5), out _, out e));
        Assert.Equal("AVP header", e.Field);
        Assert.False(AvpHeader.TryParse(Hex("8005 0000 0000 00"), out _, out e));
        Assert.Equal("AVP Length", e.Field);
    }

    private static ControlMessage FullSccrq() => new()
    {
        TunnelId = 0,
        MessageType = L2tpMessageType.Sccrq,
        ProtocolVersion = ProtocolVersion.Rfc2661,
        FramingCapabilities = L2tpFraming.Synchronous | L2tpFraming.Asynchronous,
        BearerCapabilities = L2tpBearer.Analog,
        TieBreaker = 0x0102030405060708,
        FirmwareRevision = 0x0690,
        HostName = "lac.example",
        VendorName = "Portcullis",
        AssignedTunnelId = 4711,
        ReceiveWindowSize = 8,
        Challenge = [1, 2, 3, 4, 5],
    };

    private static ControlMessage[] Samples() =>
    [
        FullSccrq(),
        new() { TunnelId = 4711, Ns = 0, Nr = 1, MessageType = L2tpMessageType.Sccrp, ProtocolVersion = ProtocolVersion.Rfc2661, FramingCapabilities = L2tpFraming.Synchronous,
            HostName = "lns", AssignedTunnelId = 99, ChallengeResponse = new byte[16], Challenge = new byte[16] },
        new() { TunnelId = 99, Ns = 1, Nr = 1, MessageType = L2tpMessageType.Scccn, ChallengeResponse = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray() },
        new() { TunnelId = 99, Ns = 2, Nr = 1, MessageType = L2tpMessageType.StopCcn, AssignedTunnelId = 4711, ResultCode = new ResultCode(2, 8, "unknown AVP") },
        new() { TunnelId = 99, Ns = 3, Nr = 1, MessageType = L2tpMessageType.Hello },
        new() { TunnelId = 99, Ns = 4, Nr = 1, MessageType = L2tpMessageType.Icrq, AssignedSessionId = 7, CallSerialNumber = 42, BearerType = L2tpBearer.None,
            PhysicalChannelId = 3, CallingNumber = "192.0.2.7", CalledNumber = "vpn.example", SubAddress = "" },
        new() { TunnelId = 4711, SessionId = 7, Ns = 1, Nr = 5, MessageType = L2tpMessageType.Icrp, AssignedSessionId = 1234 },
        new() { TunnelId = 99, SessionId = 1234, Ns = 5, Nr = 2, MessageType = L2tpMessageType.Iccn, TxConnectSpeed = 100_000_000, FramingType = L2tpFraming.Synchronous,
            RxConnectSpeed = 54_000_000, PrivateGroupId = [9, 9], SequencingRequired = true },
        new() { TunnelId = 99, SessionId = 1234, Ns = 6, Nr = 2, MessageType = L2tpMessageType.Cdn, AssignedSessionId = 7, ResultCode = new ResultCode(3, 0, null),
            Q931CauseCode = new Q931CauseCode(16, 0x80, "normal") },
        new() { TunnelId = 99, Ns = 7, Nr = 2, MessageType = L2tpMessageType.Ocrq, AssignedSessionId = 8, CallSerialNumber = 1, MinimumBps = 9600, MaximumBps = 64000,
            BearerType = L2tpBearer.Digital, FramingType = L2tpFraming.Asynchronous, CalledNumber = "123" },
        new() { TunnelId = 99, Ns = 8, Nr = 2 },
    ];

    private static void AssertSame(ControlMessage a, ControlMessage b)
    {
        Assert.Equal((a.TunnelId, a.SessionId, a.Ns, a.Nr, a.MessageType), (b.TunnelId, b.SessionId, b.Ns, b.Nr, b.MessageType));
        Assert.Equal(a.ResultCode?.Result, b.ResultCode?.Result);
        Assert.Equal(a.ResultCode?.Message, b.ResultCode?.Message);
        Assert.Equal(a.ProtocolVersion, b.ProtocolVersion);
        Assert.Equal(a.FramingCapabilities, b.FramingCapabilities);
        Assert.Equal(a.BearerCapabilities, b.BearerCapabilities);
        Assert.Equal(a.TieBreaker, b.TieBreaker);
        Assert.Equal(a.FirmwareRevision, b.FirmwareRevision);
        Assert.Equal(a.HostName, b.HostName);
        Assert.Equal(a.VendorName, b.VendorName);
        Assert.Equal(a.AssignedTunnelId, b.AssignedTunnelId);
        Assert.Equal(a.ReceiveWindowSize, b.ReceiveWindowSize);
        Assert.Equal(a.Challenge, b.Challenge);
        Assert.Equal(a.ChallengeResponse, b.ChallengeResponse);
        Assert.Equal(a.Q931CauseCode, b.Q931CauseCode);
        Assert.Equal(a.AssignedSessionId, b.AssignedSessionId);
        Assert.Equal(a.CallSerialNumber, b.CallSerialNumber);
        Assert.Equal((a.MinimumBps, a.MaximumBps, a.BearerType, a.FramingType), (b.MinimumBps, b.MaximumBps, b.BearerType, b.FramingType));
        Assert.Equal((a.CalledNumber, a.CallingNumber, a.SubAddress), (b.CalledNumber, b.CallingNumber, b.SubAddress));
        Assert.Equal((a.TxConnectSpeed, a.RxConnectSpeed, a.PhysicalChannelId, a.SequencingRequired), (b.TxConnectSpeed, b.RxConnectSpeed, b.PhysicalChannelId, b.SequencingRequired));
        Assert.Equal(a.PrivateGroupId, b.PrivateGroupId);
    }

    [Fact]
    public void ControlMessagesRoundTrip()
    {
        foreach (ControlMessage m in Samples())
        {
            byte[] bytes = m.ToBytes();
            Assert.True(ControlMessage.TryParse(bytes, [], out ControlMessage? back, out ParseError error), $"{m.Name}: {error}");
            AssertSame(m, back!);
            Assert.Empty(back!.UnknownAvps);
            Assert.Equal(bytes, back.ToBytes());
        }
    }

    [Fact]
    public void ControlMessagesRoundTripHidden()
    {
        var random = new Random(5);
        var hiding = new AvpHiding(Secret, span => random.NextBytes(span));
        foreach (ControlMessage m in Samples().Where(s => !s.IsZlb))
        {
            byte[] bytes = m.ToBytes(hiding);
            Assert.True(ControlMessage.TryParse(bytes, Secret, out ControlMessage? back, out ParseError error), $"{m.Name}: {error}");
            AssertSame(m, back!);
            Assert.Equal(L2tpAttributeType.RandomVector, back!.Attributes[1]);
            Assert.All(back.HiddenAttributes, t => Assert.True(L2tpAttributes.TryGet(0, (ushort)t, out var info) && info.MayBeHidden));
            if (m.AssignedTunnelId is not null) Assert.Contains(L2tpAttributeType.AssignedTunnelId, back.HiddenAttributes);
            if (m.HostName is not null) Assert.DoesNotContain(L2tpAttributeType.HostName, back.HiddenAttributes);
        }
    }

    [Fact]
    public void SccrqIsTheRfcLayout()
    {
        var m = new ControlMessage { MessageType = L2tpMessageType.Sccrq, ProtocolVersion = ProtocolVersion.Rfc2661, HostName = "a", FramingCapabilities = L2tpFraming.Synchronous, AssignedTunnelId = 4 };
        Assert.Equal(Hex("""
            C802 0035 0000 0000 0000 0000
            8008 0000 0000 0001
            8008 0000 0002 0100
            800A 0000 0003 0000 0001
            8007 0000 0007 61
            8008 0000 0009 0004
            """), m.ToBytes());
    }

    [Fact]
    public void EveryTruncationOfAControlMessageIsAParseError()
    {
        byte[] whole = FullSccrq().ToBytes();
        for (int n = 0; n < whole.Length; n++)
        {
            // As cut: Length now says more than the datagram holds.
            Assert.False(ControlMessage.TryParse(whole.AsSpan(0, n), [], out ControlMessage? m, out ParseError error), $"cut at {n}");
            Assert.Null(m);
            Assert.NotNull(error.Field);
            if (n < 12) continue;
            // Cut with a matching Length: the last AVP is short, unless the cut falls between AVPs.
            byte[] cut = whole[..n];
            BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(2), (ushort)n);
            bool ok = ControlMessage.TryParse(cut, [], out m, out error);
            if (ok) Assert.True(m!.Attributes.Count < 12 && (m.IsZlb || m.MessageType == L2tpMessageType.Sccrq));
            else Assert.NotNull(error.Field);
        }
    }

    [Theory]
    [InlineData("8008 0000 0002 0100", "Message Type")]                  // Protocol Version first
    [InlineData("8007 0000 0000 00", "Message Type")]                     // Message Type of 1 byte
    [InlineData("8008 0000 0000 0000", "Message Type")]                   // Message Type 0
    [InlineData("8008 0000 0000 0001 8009 0000 0002 0100 00", "Protocol Version")]
    [InlineData("8008 0000 0000 0001 8006 0000 0007", "Host Name")]
    [InlineData("8008 0000 0000 0001 8009 0000 0009 000001", "Assigned Tunnel ID")]
    [InlineData("8008 0000 0000 0001 8008 0000 0009 0000", "Assigned Tunnel ID")]
    [InlineData("8008 0000 0000 000A 8008 0000 000E 0000", "Assigned Session ID")]
    [InlineData("8008 0000 0000 0004 8009 0000 0001 000100", "Result Code")]
    [InlineData("8008 0000 0000 000E 8008 0000 000C 0001", "Q.931 Cause Code")]
    [InlineData("8008 0000 0000 0003 8015 0000 000D 0001020304050607080910111213141516", "Challenge Response")]
    [InlineData("8008 0000 0000 000C 8007 0000 0027 00", "Sequencing Required")]
    [InlineData("8008 0000 0000 0001 C008 0000 0007 6162", "Host Name")]   // Host Name MUST NOT be hidden
    [InlineData("8008 0000 0000 0001 8009 0000 0009", "AVP Length")]     // AVP runs past the message
    public void BadAvpsNameTheAttribute(string avps, string field)
    {
        byte[] body = Hex(avps);
        byte[] bytes = new byte[12 + body.Length];
        L2tpHeader.Control((ushort)bytes.Length, 1, 0, 0, 0).Write(bytes);
        body.CopyTo(bytes, 12);
        Assert.False(ControlMessage.TryParse(bytes, Secret, out _, out ParseError error));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void UnknownAvpsAreListedAndTheMandatoryOnesFlagged()
    {
        // Message Type HELLO, then: vendor 311 (Microsoft correlation ID, M=0), an undefined IETF attribute 200 with M,
        // attribute 20 (unassigned) without M, Host Name with a reserved bit set.
        byte[] body = Hex("8008 0000 0000 0006  0016 0137 0001 00112233445566778899AABBCCDDEEFF  8008 0000 00C8 0000  0006 0000 0014  8407 0000 0007 61");
        byte[] bytes = new byte[12 + body.Length];
        L2tpHeader.Control((ushort)bytes.Length, 1, 0, 0, 0).Write(bytes);
        body.CopyTo(bytes, 12);
        Assert.True(ControlMessage.TryParse(bytes, [], out ControlMessage? m, out ParseError error), error.ToString());
        Assert.Equal(L2tpMessageType.Hello, m!.MessageType);
        Assert.Equal(4, m.UnknownAvps.Count);
        Assert.False(m.UnknownAvps[0].Mandatory);
        Assert.Equal(311, m.UnknownAvps[0].VendorId);
        Assert.Equal(new UnknownAvp(0, 200, true, "not defined"), m.UnknownMandatoryAvp);
        Assert.Equal("reserved bits set", m.UnknownAvps[3].Why);
        Assert.Null(m.HostName);
    }

    [Fact]
    public void MissingRequiredAvpsAreNamed()
    {
        var m = new ControlMessage { MessageType = L2tpMessageType.Sccrq, ProtocolVersion = ProtocolVersion.Rfc2661, HostName = "x", AssignedTunnelId = 1 };
        Assert.True(ControlMessage.TryParse(m.ToBytes(), [], out ControlMessage? back, out _));
        Assert.Equal(L2tpAttributeType.FramingCapabilities, back!.MissingRequiredAvp());
        var icrq = new ControlMessage { MessageType = L2tpMessageType.Icrq, AssignedSessionId = 3 };
        Assert.True(ControlMessage.TryParse(icrq.ToBytes(), [], out back, out _));
        Assert.Null(back!.MissingRequiredAvp());
    }

    // ---- shapes of real peers' messages -------------------------------------------------------------------

    /// <summary>
    /// Windows' SCCRQ as a router's debug trace decodes it (Protocol Version 1.0, Framing Capabilities 1, Bearer
    /// Capabilities 0, Firmware Revision 1280, Host Name, Vendor Name "Microsoft", Assigned Tunnel ID, Receive Window
    /// Size 8), re-encoded by hand with the RFC's M bits.
    /// </summary>
    [Fact]
    public void WindowsShapedSccrqParses()
    {
        byte[] bytes = Hex("""
            C802 0061 0000 0000 0000 0000
            8008 0000 0000 0001
            8008 0000 0002 0100
            800A 0000 0003 0000 0001
            800A 0000 0004 0000 0000
            0008 0000 0006 0500
            800A 0000 0007 4E4F4E45
            000F 0000 0008 4D6963726F736F6674
            8008 0000 0009 0004
            8008 0000 000A 0008
            """);
        Assert.True(ControlMessage.TryParse(bytes, [], out ControlMessage? m, out ParseError error), error.ToString());
        Assert.Equal(L2tpMessageType.Sccrq, m!.MessageType);
        Assert.Equal(L2tpFraming.Synchronous, m.FramingCapabilities);
        Assert.Equal(L2tpBearer.None, m.BearerCapabilities);
        Assert.Equal((ushort)0x0500, m.FirmwareRevision);
        Assert.Equal("NONE", m.HostName);
        Assert.Equal("Microsoft", m.VendorName);
        Assert.Equal((ushort)4, m.AssignedTunnelId);
        Assert.Equal((ushort)8, m.ReceiveWindowSize);
        Assert.Null(m.MissingRequiredAvp());
        Assert.Empty(m.UnknownAvps);
    }

    /// <summary>Windows' ICRQ carries Microsoft's correlation ID (MS-L2TPIE §2.2.1.1: vendor 311, type 1, M=0, a GUID).</summary>
    [Fact]
    public void WindowsShapedIcrqSkipsTheCorrelationId()
    {
        byte[] bytes = Hex("""
            C802 0050 1234 0000 0002 0001
            8008 0000 0000 000A
            8008 0000 000E 0001
            800A 0000 000F 0000 0001
            800A 0000 0012 0000 0000
            000A 0000 0019 0000 0000
            0016 0137 0001 6B2F1A0C9E4D4A8B8E3A0F1E2D3C4B5A
            """);
        Assert.True(ControlMessage.TryParse(bytes, [], out ControlMessage? m, out ParseError error), error.ToString());
        Assert.Equal(L2tpMessageType.Icrq, m!.MessageType);
        Assert.Equal((ushort)1, m.AssignedSessionId);
        Assert.Equal(1u, m.CallSerialNumber);
        Assert.Equal(L2tpBearer.None, m.BearerType);
        Assert.Equal(0u, m.PhysicalChannelId);
        Assert.Single(m.UnknownAvps);
        Assert.Null(m.UnknownMandatoryAvp);
    }

    // ---- hidden AVPs and tunnel authentication ------------------------------------------------------------

    private static readonly byte[] Vector = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    // Computed by hand from RFC 2661 §4.3 with Python's hashlib (the script is in HiddenAvpMatchesPython).
    [Theory]
    [InlineData(14, "1234", "AAAAAAAAAAAAAAAAAAAAAAAA", "11028a5b399a82b5f1477fec3ceb7ea4")]
    [InlineData(8, "616263", "", "3b732aac42")]
    public void HiddenAvpVectors(ushort type, string value, string padding, string expected)
    {
        byte[] v = Hex(value), p = Hex(padding);
        byte[] hidden = new byte[HiddenAvp.HiddenLength(v.Length, p.Length)];
        HiddenAvp.Hide(type, v, p, Secret, Vector, hidden);
        Assert.Equal(Hex(expected), hidden);
        Assert.True(HiddenAvp.TryUnhide(type, hidden, Secret, Vector, out byte[] back, out _));
        Assert.Equal(v, back);
    }

    [Fact]
    public void HiddenAvpTwoBlockVector()
    {
        byte[] v = "Portcullis L2TP/IPsec gateway"u8.ToArray();
        byte[] hidden = new byte[32];
        HiddenAvp.Hide(8, v, [0x55], Secret, Vector, hidden);
        Assert.Equal(Hex("3b6d1ba153042b0aa0b72e21d567c60677f4ef3b86abc0ec2f0555183c8483d0"), hidden);
        Assert.True(HiddenAvp.TryUnhide(8, hidden, Secret, Vector, out byte[] back, out _));
        Assert.Equal(v, back);
        // A wrong secret recovers a nonsense Original Length.
        Assert.False(HiddenAvp.TryUnhide(8, hidden, "other"u8, Vector, out _, out ParseError error));
        Assert.Equal("Vendor Name", error.Field);
    }

    /// <summary>An independent implementation (Python's hashlib) agrees on random inputs, when python3 is there.</summary>
    [Fact]
    public void HiddenAvpMatchesPython()
    {
        const string script = """
            import hashlib, struct, sys
            t, val, pad, sec, rv = int(sys.argv[1]), *(bytes.fromhex(a) for a in sys.argv[2:6])
            p = struct.pack('>H', len(val)) + val + pad
            out, prev = b'', None
            for i in range(0, len(p), 16):
                m = hashlib.md5(struct.pack('>H', t) + sec + rv if i == 0 else sec + prev).digest()
                c = bytes(a ^ b for a, b in zip(p[i:i + 16], m))
                out, prev = out + c, c
            print(out.hex())
            print(hashlib.md5(bytes([3]) + sec + val).hexdigest())
            """;
        var random = new Random(11);
        for (int round = 0; round < 5; round++)
        {
            byte[] value = new byte[random.Next(0, 60)], padding = new byte[random.Next(0, 20)], secret = new byte[random.Next(1, 40)], vector = new byte[random.Next(1, 33)];
            random.NextBytes(value); random.NextBytes(padding); random.NextBytes(secret); random.NextBytes(vector);
            ushort type = (ushort)random.Next(0, 40);
            string? output = RunPython(script, type.ToString(), Convert.ToHexString(value), Convert.ToHexString(padding), Convert.ToHexString(secret), Convert.ToHexString(vector));
            if (output is null) return; // no python3: the fixed vectors above stand alone
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            byte[] hidden = new byte[HiddenAvp.HiddenLength(value.Length, padding.Length)];
            HiddenAvp.Hide(type, value, padding, secret, vector, hidden);
            Assert.Equal(Convert.FromHexString(lines[0]), hidden);
            Assert.Equal(Convert.FromHexString(lines[1]), TunnelAuthentication.Response(3, secret, value));
        }
    }

    private static string? RunPython(string script, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(script);
            foreach (string a in args) info.ArgumentList.Add(a);
            using Process p = Process.Start(info)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : throw new InvalidOperationException(p.StandardError.ReadToEnd());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [Fact]
    public void ChallengeResponseVector()
    {
        // MD5(0x02 | secret | challenge), computed with Python's hashlib.
        byte[] challenge = Enumerable.Range(16, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(Hex("2a876d2007b6cd1c047eab736eea6469"), TunnelAuthentication.Response(2, Secret, challenge));
        Assert.True(TunnelAuthentication.Verify(2, Secret, challenge, Hex("2a876d2007b6cd1c047eab736eea6469")));
        Assert.False(TunnelAuthentication.Verify(3, Secret, challenge, Hex("2a876d2007b6cd1c047eab736eea6469")));
        Assert.False(TunnelAuthentication.Verify(2, Secret, challenge, null));
    }

    [Fact]
    public void HiddenAvpsWithoutSecretAreUnknownAndWithoutRandomVectorAreRefused()
    {
        var random = new Random(3);
        byte[] bytes = new ControlMessage { TunnelId = 5, MessageType = L2tpMessageType.Icrq, AssignedSessionId = 77, CallSerialNumber = 1 }
            .ToBytes(new AvpHiding(Secret, s => random.NextBytes(s)));
        Assert.True(ControlMessage.TryParse(bytes, [], out ControlMessage? m, out _));
        Assert.Null(m!.AssignedSessionId);
        Assert.Equal(L2tpAttributeType.AssignedSessionId, (L2tpAttributeType)m.UnknownMandatoryAvp!.Value.AttributeType);
        Assert.Contains("no tunnel secret", m.UnknownMandatoryAvp.Value.Why);
        Assert.Equal(L2tpAttributeType.AssignedSessionId, m.MissingRequiredAvp());

        // Cut the Random Vector out (Message Type 8 bytes, then the 22-byte Random Vector AVP).
        byte[] noVector = [.. bytes[..20], .. bytes[(20 + 22)..]];
        BinaryPrimitives.WriteUInt16BigEndian(noVector.AsSpan(2), (ushort)noVector.Length);
        Assert.False(ControlMessage.TryParse(noVector, Secret, out _, out ParseError error));
        Assert.Equal("Random Vector", error.Field);
    }
}
