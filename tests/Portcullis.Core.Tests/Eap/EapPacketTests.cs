using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Tests.Eap;

/// <summary>EAP (RFC 3748 §4), EAP-MSCHAPv2 Type-Data, the IKEv2 EAP payload and the MS-CHAPv2 message texts.</summary>
public class EapPacketTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    // ---- EapPacket -------------------------------------------------------------------------------------------

    [Fact]
    public void RequestResponseSuccessFailureRoundTrip()
    {
        EapPacket[] packets =
        [
            EapPacket.Request(7, EapType.Identity, []),
            EapPacket.Response(7, EapType.Identity, "alice"u8),
            EapPacket.Response(8, EapType.Nak, [13, 25]),
            EapPacket.Success(9),
            EapPacket.Failure(255),
        ];
        foreach (EapPacket p in packets)
        {
            byte[] bytes = p.ToArray();
            Assert.Equal(p.Length, bytes.Length);
            Assert.True(EapPacket.TryParse(bytes, out EapPacket? back, out _));
            Assert.Equal(p.Code, back!.Code);
            Assert.Equal(p.Identifier, back.Identifier);
            Assert.Equal(p.Type, back.Type);
            Assert.Equal(p.TypeData.ToArray(), back.TypeData.ToArray());
            Assert.Equal(bytes, back.ToArray());
        }
        Assert.Equal(Hex("02 07 00 0A 01 61 6C 69 63 65"), packets[1].ToArray());
        Assert.Equal(Hex("03 09 00 04"), packets[3].ToArray());
    }

    [Fact]
    public void EveryTruncationIsAParseError()
    {
        byte[] whole = EapPacket.Response(3, EapType.Identity, "bob@example.org"u8).ToArray();
        for (int n = 0; n < whole.Length; n++)
        {
            Assert.False(EapPacket.TryParse(whole.AsSpan(0, n), out EapPacket? p, out ParseError error));
            Assert.Null(p);
            Assert.NotEmpty(error.Field);
        }
        Assert.Equal("EAP header", Parse(whole[..3]).Field);
        Assert.Equal("Length", Parse(whole[..6]).Field);
    }

    [Theory]
    [InlineData("05 01 00 04", "Code")]
    [InlineData("00 01 00 04", "Code")]
    [InlineData("01 01 00 03", "Length")]
    [InlineData("01 01 00 04", "Type")]
    [InlineData("03 01 00 05 00", "Length")]
    [InlineData("04 01 00 08 00 00 00 00", "Length")]
    [InlineData("01 01 00 0B FE 00 00 00 00 00 00", "Vendor-Type")]
    public void BadHeadersNameTheField(string hex, string field) => Assert.Equal(field, Parse(Hex(hex)).Field);

    [Fact]
    public void BytesAfterLengthArePadding()
    {
        Assert.True(EapPacket.TryParse(Hex("03 05 00 04 00 00 00"), out EapPacket? p, out _));
        Assert.Equal(EapCode.Success, p!.Code);
        Assert.Equal(4, p.Length);
    }

    private static ParseError Parse(byte[] bytes)
    {
        Assert.False(EapPacket.TryParse(bytes, out _, out ParseError error));
        return error;
    }

    // ---- EAP-MSCHAPv2 Type-Data ------------------------------------------------------------------------------

    private static readonly byte[] Challenge = Hex("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
    private static readonly byte[] PeerChallenge = Hex("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");
    private static readonly byte[] NtResponse = Hex("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");

    [Fact]
    public void ChallengeLayout()
    {
        byte[] data = EapMsChapV2Packet.Challenge(0x2A, Challenge, "gw"u8).ToArray();
        Assert.Equal(Hex("01 2A 00 17 10").Concat(Challenge).Concat("gw"u8.ToArray()), data);
        // MS-Length is the EAP Length minus 5: the Type-Data's own length.
        byte[] eap = EapMsChapV2Packet.Challenge(0x2A, Challenge, "gw"u8).ToEap(EapCode.Request, 0x2A).ToArray();
        Assert.Equal(eap.Length - 5, eap[7] << 8 | eap[8]);
        Assert.Equal(Hex("01 2A 00 1C 1A 01 2A 00 17"), eap[..9]);
    }

    [Fact]
    public void MsChapV2PacketsRoundTrip()
    {
        (EapCode, EapMsChapV2Packet)[] packets =
        [
            (EapCode.Request, EapMsChapV2Packet.Challenge(1, Challenge, "Portcullis"u8)),
            (EapCode.Response, EapMsChapV2Packet.Response(1, PeerChallenge, NtResponse, @"EXAMPLE\alice"u8)),
            (EapCode.Request, EapMsChapV2Packet.SuccessRequest(1, "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=hi"u8)),
            (EapCode.Request, EapMsChapV2Packet.FailureRequest(1, "E=691 R=0 C=00000000000000000000000000000000 V=3 M=no"u8)),
            (EapCode.Response, EapMsChapV2Packet.SuccessResponse()),
            (EapCode.Response, EapMsChapV2Packet.FailureResponse()),
        ];
        foreach ((EapCode code, EapMsChapV2Packet p) in packets)
        {
            byte[] bytes = p.ToArray();
            Assert.True(EapMsChapV2Packet.TryParse(code, bytes, out EapMsChapV2Packet? back, out _));
            Assert.Equal(p.OpCode, back!.OpCode);
            Assert.Equal(p.IsShortForm, back.IsShortForm);
            Assert.Equal(p.MsChapV2Id, back.MsChapV2Id);
            if (!back.IsShortForm) Assert.Equal(bytes.Length, back.MsLength);
            Assert.Equal(p.Value.ToArray(), back.Value.ToArray());
            Assert.Equal(p.Name.ToArray(), back.Name.ToArray());
            Assert.Equal(p.Message.ToArray(), back.Message.ToArray());
            Assert.Equal(bytes, back.ToArray());
        }
        EapMsChapV2Packet response = packets[1].Item2;
        Assert.Equal(PeerChallenge, response.PeerChallenge.ToArray());
        Assert.Equal(NtResponse, response.NtResponse.ToArray());
        Assert.Equal([0x03], packets[4].Item2.ToArray());
        Assert.Equal([0x04], packets[5].Item2.ToArray());
    }

    [Fact]
    public void MsChapV2TruncationsAreParseErrors()
    {
        byte[] challenge = EapMsChapV2Packet.Challenge(1, Challenge, "x"u8).ToArray();
        byte[] response = EapMsChapV2Packet.Response(1, PeerChallenge, NtResponse, "alice"u8).ToArray();
        // A Challenge or Response up to the end of its Value is incomplete; the Name may be empty.
        for (int n = 0; n < 5 + 16; n++) Assert.False(EapMsChapV2Packet.TryParse(EapCode.Request, challenge[..n], out _, out _));
        for (int n = 0; n < 5 + 49; n++) Assert.False(EapMsChapV2Packet.TryParse(EapCode.Response, response[..n], out _, out _));
        Assert.Equal("OpCode", ParseMs(EapCode.Request, []).Field);
        Assert.Equal("MS-Length", ParseMs(EapCode.Request, challenge[..3]).Field);
        Assert.Equal("Value-Size", ParseMs(EapCode.Request, challenge[..4]).Field);
        Assert.Equal("Value", ParseMs(EapCode.Request, challenge[..10]).Field);
    }

    [Theory]
    [InlineData("09 01 00 04", "OpCode")]
    [InlineData("01 01 00 15 08 00 00 00 00 00 00 00 00", "Value-Size")]
    [InlineData("02 01 00 15 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "Value-Size")]
    [InlineData("03 01 00", "MS-Length")]
    public void BadMsChapV2FieldsAreNamed(string hex, string field) =>
        Assert.Equal(field, ParseMs(hex.StartsWith("02", StringComparison.Ordinal) ? EapCode.Response : EapCode.Request, Hex(hex)).Field);

    [Fact]
    public void WrongMsLengthIsTolerated()
    {
        byte[] data = EapMsChapV2Packet.Challenge(1, Challenge, "gw"u8).ToArray();
        data[3] += 5;
        Assert.True(EapMsChapV2Packet.TryParse(EapCode.Request, data, out EapMsChapV2Packet? p, out _));
        Assert.Equal(data.Length + 5, p!.MsLength);
        Assert.Equal("gw"u8.ToArray(), p.Name.ToArray());
    }

    [Fact]
    public void ShortFormResponsesIgnoreTrailingBytes()
    {
        // Some peers send MS-CHAPv2-ID and MS-Length in a Success Response too.
        Assert.True(EapMsChapV2Packet.TryParse(EapCode.Response, Hex("03 05 00 04"), out EapMsChapV2Packet? p, out _));
        Assert.True(p!.IsShortForm);
        Assert.Equal(MsChapV2OpCode.Success, p.OpCode);
    }

    private static ParseError ParseMs(EapCode code, byte[] bytes)
    {
        Assert.False(EapMsChapV2Packet.TryParse(code, bytes, out _, out ParseError error));
        return error;
    }

    // ---- EAP payload -----------------------------------------------------------------------------------------

    [Fact]
    public void EapPayloadCarriesExactlyOneEapMessage()
    {
        byte[] eap = EapPacket.Request(1, EapType.Identity, []).ToArray();
        var payload = new EapPayload(eap);
        var chain = new byte[payload.Length];
        Payload.WriteChain([payload], chain);
        Assert.Equal(Hex("00 00 00 09 01 01 00 05 01"), chain);

        var parsed = new List<Payload>();
        Assert.True(Payload.TryParseChain(PayloadType.Eap, chain, parsed, out _, out _, out _));
        Assert.Equal(eap, Assert.IsType<EapPayload>(Assert.Single(parsed)).Message.ToArray());

        Assert.False(EapPayload.TryParse([.. eap, 0], out _, out ParseError error));
        Assert.Equal("EAP Length", error.Field);
        Assert.False(EapPayload.TryParse(eap[..4], out _, out error));
        Assert.Equal("EAP Length", error.Field);
        Assert.False(EapPayload.TryParse([], out _, out error));
        Assert.Equal("EAP header", error.Field);

        // A broken EAP message makes the chain fail with the field named.
        chain[6] = 0x00;
        chain[7] = 0x09;
        Assert.False(Payload.TryParseChain(PayloadType.Eap, chain, new List<Payload>(), out _, out _, out error));
        Assert.Equal("EAP Length", error.Field);
    }

    // ---- MS-CHAPv2 messages ----------------------------------------------------------------------------------

    [Fact]
    public void SuccessMessages()
    {
        var m = new MsChapV2SuccessMessage("S=407A5589115FD0D6209F510FE9C04566932CDA56", "Welcome to Portcullis");
        Assert.Equal("S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome to Portcullis", m.Format());
        Assert.True(MsChapV2SuccessMessage.TryParse(Encoding.ASCII.GetBytes(m.Format()), out MsChapV2SuccessMessage? back, out _));
        Assert.Equal(m, back);
        // strongSwan ends the text with a NUL.
        Assert.True(MsChapV2SuccessMessage.TryParse("S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome2strongSwan\0"u8, out back, out _));
        Assert.Equal("Welcome2strongSwan", back!.Text);
        Assert.True(MsChapV2SuccessMessage.TryParse("S=407a5589115fd0d6209f510fe9c04566932cda56"u8, out back, out _));
        Assert.Null(back!.Text);
        Assert.False(MsChapV2SuccessMessage.TryParse("M=hello"u8, out _, out ParseError error));
        Assert.Equal("Message", error.Field);
        Assert.False(MsChapV2SuccessMessage.TryParse("S=407A M=x"u8, out _, out _));
    }

    [Fact]
    public void FailureMessages()
    {
        var m = new MsChapV2FailureMessage(691, false, new byte[16], 3, "Authentication failed");
        Assert.Equal("E=691 R=0 C=00000000000000000000000000000000 V=3 M=Authentication failed", m.Format());
        Assert.True(MsChapV2FailureMessage.TryParse(Encoding.ASCII.GetBytes(m.Format()), out MsChapV2FailureMessage? back, out _));
        Assert.Equal((691, false, 3, "Authentication failed"), (back!.Error, back.Retry, back.Version, back.Text));
        Assert.Equal(new byte[16], back.Challenge);
        // strongSwan's retry message.
        Assert.True(MsChapV2FailureMessage.TryParse("E=691 R=1 C=0123456789ABCDEF0123456789abcdef"u8, out back, out _));
        Assert.True(back!.Retry);
        Assert.Null(back.Text);
        Assert.Equal("ERROR_AUTHENTICATION_FAILURE", MsChapV2FailureMessage.ErrorName(back.Error));
        Assert.Equal("ERROR_PASSWD_EXPIRED", MsChapV2FailureMessage.ErrorName(648));
        Assert.Equal("1234", MsChapV2FailureMessage.ErrorName(1234));
        Assert.False(MsChapV2FailureMessage.TryParse("R=0 M=x"u8, out _, out _));
        Assert.False(MsChapV2FailureMessage.TryParse("E=abc"u8, out _, out _));
        Assert.False(MsChapV2FailureMessage.TryParse("E=691 C=00"u8, out _, out _));
        Assert.True(MsChapV2FailureMessage.TryParse("E=691 M=a\u0001b c"u8, out back, out _));
        Assert.Equal("a?b c", back!.Text);
    }
}
