using System.Buffers.Binary;
using System.Net;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Ikev2.Wire;
using Portcullis.Core.Probe;
using V1 = Portcullis.Core.Ikev1.Wire;

namespace Portcullis.Core.Tests.Probe;

/// <summary>
/// The probe engine without a network: its requests read back with the wire structures, and its reading of answers
/// strongSwan gave (captured in the interop namespaces, <c>Vectors/probe/</c>) and of answers built here for the
/// cases strongSwan's capture does not show (COOKIE, INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN, stray datagrams).
/// </summary>
public sealed class IkeProbeTests
{
    private static readonly IPEndPoint s_local = IPEndPoint.Parse("192.0.2.1:43925");
    private static readonly IPEndPoint s_target = IPEndPoint.Parse("192.0.2.2:500");

    // Hands out the SPI first, then nonces: a probe made with it uses the SPI of a captured request.
    private static Func<int, byte[]> Random(ulong spi)
    {
        bool first = true;
        return n =>
        {
            var bytes = new byte[n];
            // Small test SPIs get high bits, so that their first four bytes never look like the non-ESP marker.
            if (first && n == 8) BinaryPrimitives.WriteUInt64BigEndian(bytes, spi < 1UL << 32 ? spi | 0x7700000000000000 : spi);
            else bytes.AsSpan().Fill(0x5a);
            first = false;
            return bytes;
        };
    }

    private static (string Source, string Destination, byte[] Payload)[] Capture(string name) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Vectors", "probe", name))
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' '))
            .Select(f => (f[1], f[2], Convert.FromHexString(f[3])))
            .ToArray();

    private static IkeProbe ProbeFor(byte[] capturedRequest, IPEndPoint local, bool ikev1 = false, string? proposals = null) =>
        new(new ProbeOptions { Target = s_target, Local = local, Ikev1 = ikev1, Proposals = proposals },
            Random(BinaryPrimitives.ReadUInt64BigEndian(capturedRequest)));

    [Fact]
    public void StrongSwansIkeSaInitAnswerGivesItsChoiceAndNatDetection()
    {
        var capture = Capture("strongswan-5.9.8-ikev2-modp3072.txt");
        IPEndPoint local = IPEndPoint.Parse(capture[0].Source);
        IkeProbe probe = ProbeFor(capture[0].Payload, local, proposals: "aes256-sha256-modp3072");
        probe.Start();
        ProbeResult result = Assert.IsType<ProbeResult>(probe.Handle(capture[1].Payload).Result);
        Assert.Equal(ProbeOutcome.ProposalChosen, result.Outcome);
        Assert.Equal("aes256-sha256-prfsha256-modp3072", result.ChosenProposal);
        // No NAT between us; strongSwan with kernel-libipsec fakes its own NAT_DETECTION_SOURCE_IP to force UDP
        // encapsulation, which the report names as a possibility.
        Assert.False(result.LocalBehindNat);
        Assert.True(result.RemoteBehindNat);
        Assert.Contains("NAT between: yes, on the responder's side (or the responder fakes", result.Describe());
    }

    [Fact]
    public void OurAddressRewrittenOnTheWayIsANatOnOurSide()
    {
        var capture = Capture("strongswan-5.9.8-ikev2-modp3072.txt");
        // The same answer, but the socket says another port than the one strongSwan saw: a NAT rewrote it.
        IkeProbe probe = ProbeFor(capture[0].Payload, IPEndPoint.Parse("198.51.100.2:43925"), proposals: "aes256-sha256-modp3072");
        probe.Start();
        ProbeResult result = probe.Handle(capture[1].Payload).Result!;
        Assert.True(result.LocalBehindNat);
        Assert.Contains("NAT between: yes, on both sides", result.Describe());
    }

    [Fact]
    public void StrongSwansMainModeAnswerGivesTheTransformAndVendorIds()
    {
        var capture = Capture("strongswan-5.9.8-ikev1-main-mode.txt");
        IkeProbe probe = ProbeFor(capture[0].Payload, IPEndPoint.Parse(capture[0].Source), ikev1: true);
        probe.Start();
        ProbeResult result = probe.Handle(capture[1].Payload).Result!;
        Assert.Equal(ProbeOutcome.ProposalChosen, result.Outcome);
        Assert.Equal("aes256-sha256-modp3072", result.ChosenProposal);
        Assert.Equal("pre-shared key", result.AuthenticationMethod);
        Assert.Equal(["XAuth", "DPD", "FRAGMENTATION", "NAT-T (RFC 3947)"], result.VendorIds.Select(v => v[..v.LastIndexOf(" (", StringComparison.Ordinal)]).ToArray());
        Assert.Null(result.LocalBehindNat); // Main Mode message 2 carries no NAT-D
    }

    [Fact]
    public void TheRequestIsAnIkeSaInitWithKeForTheFirstGroupAndNatDetection()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local }, Random(0x1122334455667789));
        byte[] request = probe.Start();
        Assert.True(IkeHeader.TryParse(request, out IkeHeader header, out _));
        Assert.Equal(ExchangeType.IkeSaInit, header.ExchangeType);
        Assert.Equal(IkeHeaderFlags.Initiator, header.Flags);
        Assert.Equal(0x1122334455667789UL, header.InitiatorSpi);
        Assert.Equal(probe.InitiatorSpi, header.InitiatorSpi);
        Assert.Equal(MessageError.None, IkeMessage.TryDecode(request, header, null, out IkeMessage? message, out _, out _));
        Assert.Equal([PayloadType.SecurityAssociation, PayloadType.KeyExchange, PayloadType.Nonce, PayloadType.Notify, PayloadType.Notify],
            message!.Payloads.Select(p => p.Type).ToArray());
        Assert.Equal(3, message.Get<SaPayload>()!.Proposals.Count);
        Assert.Equal(19, message.Get<KePayload>()!.Group); // ecp256, the first group offered
        Assert.Equal(NatDetection.Hash(header.InitiatorSpi, 0, s_local), message.Notify(NotifyType.NatDetectionSourceIp)!.Data.ToArray());
        Assert.Equal(NatDetection.Hash(header.InitiatorSpi, 0, s_target), message.Notify(NotifyType.NatDetectionDestinationIp)!.Data.ToArray());
    }

    [Fact]
    public void TheMainModeRequestOffersPskAndRsaAndAnnouncesVendorIds()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local, Ikev1 = true }, Random(7));
        byte[] request = probe.Start();
        Assert.True(request.Length < 1400, $"{request.Length} bytes would be fragmented");
        Assert.True(V1.IsakmpHeader.TryParse(request, out V1.IsakmpHeader header, out _));
        Assert.Equal(V1.IsakmpExchangeType.IdentityProtection, header.ExchangeType);
        Assert.True(V1.IsakmpMessage.TryDecode(request, header, null, [], out V1.IsakmpMessage? message, out _, out _));
        var transforms = message!.Get<V1.SaPayload>()!.Proposals.Single().Transforms;
        var methods = transforms.Select(t => t.Value((ushort)V1.IkeAttributeType.AuthenticationMethod)).Distinct().ToArray();
        Assert.Equal([(ulong)V1.AuthenticationMethod.PreSharedKey, (ulong)V1.AuthenticationMethod.RsaSignatures], methods);
        Assert.Equal(Enumerable.Range(1, transforms.Count).Select(i => (byte)i), transforms.Select(t => t.Number));
        var vids = message.All<V1.VendorIdPayload>().Select(v => V1.VendorIds.Name(v.Data)).ToArray();
        Assert.Contains("NAT-T (RFC 3947)", vids);
        Assert.Contains("DPD", vids);
    }

    private static byte[] Answer(IkeProbe probe, params Payload[] payloads) =>
        new IkeMessage(new IkeHeader(probe.InitiatorSpi, 0x0102030405060708, PayloadType.None, IkeHeader.Ikev2Version, ExchangeType.IkeSaInit,
            IkeHeaderFlags.Response, 0, 0), payloads).Encode(null);

    [Fact]
    public void CookieIsSentBackFirstInTheSameRequest()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local }, Random(9));
        byte[] first = probe.Start();
        ProbeStep step = probe.Handle(Answer(probe, new NotifyPayload(NotifyType.Cookie, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })));
        Assert.NotNull(step.Send);
        IkeHeader.TryParse(step.Send!, out IkeHeader header, out _);
        IkeMessage.TryDecode(step.Send!, header, null, out IkeMessage? retry, out _, out _);
        NotifyPayload cookie = Assert.IsType<NotifyPayload>(retry!.Payloads[0]);
        Assert.Equal(NotifyType.Cookie, cookie.NotifyType);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, cookie.Data.ToArray());
        Assert.Equal(first.Length + 8 + 8, step.Send!.Length); // payload and notify headers, then the cookie
        // A second COOKIE is not followed: the report says what happened.
        ProbeStep again = probe.Handle(Answer(probe, new NotifyPayload(NotifyType.Cookie, new byte[] { 9, 9, 9, 9 })));
        Assert.True(again.Result!.CookieRequested);
        Assert.Equal(ProbeOutcome.Malformed, again.Result.Outcome);
    }

    [Fact]
    public void InvalidKePayloadIsRetriedOnceWithTheAskedGroupAndReported()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local }, Random(11));
        probe.Start();
        ProbeStep step = probe.Handle(Answer(probe, new NotifyPayload(NotifyType.InvalidKePayload, new byte[] { 0, 15 })));
        IkeHeader.TryParse(step.Send!, out IkeHeader header, out _);
        IkeMessage.TryDecode(step.Send!, header, null, out IkeMessage? retry, out _, out _);
        Assert.Equal(15, retry!.Get<KePayload>()!.Group);
        Assert.Equal(384, retry.Get<KePayload>()!.Data.Length);
        ProbeResult result = probe.Handle(Answer(probe, NotifyPayload.Of(NotifyType.NoProposalChosen))).Result!;
        Assert.Equal("modp3072", result.RequestedGroup);
        Assert.Equal(ProbeOutcome.Notify, result.Outcome);
        Assert.Equal("NO_PROPOSAL_CHOSEN", result.NotifyName);
        Assert.Equal(2, result.RequestsSent);
    }

    [Fact]
    public void AGroupWeDidNotOfferEndsTheProbe()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local, Proposals = "aes128-sha256-ecp256" }, Random(13));
        probe.Start();
        ProbeResult result = probe.Handle(Answer(probe, new NotifyPayload(NotifyType.InvalidKePayload, new byte[] { 0, 14 }))).Result!;
        Assert.Equal(ProbeOutcome.Notify, result.Outcome);
        Assert.Contains("modp2048, not in our offer", result.NotifyName);
    }

    [Fact]
    public void StrayDatagramsAreIgnoredAndGarbageIsReportedNotThrown()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local }, Random(15));
        probe.Start();
        var other = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local }, Random(17));
        Assert.Equal(ProbeStep.Ignore, probe.Handle(Answer(other, NotifyPayload.Of(NotifyType.NoProposalChosen))));
        ProbeResult garbage = probe.Handle(new byte[] { 1, 2, 3 }).Result!;
        Assert.Equal(ProbeOutcome.Malformed, garbage.Outcome);
        Assert.NotNull(garbage.Problem);
        byte[] truncated = Answer(probe, NotifyPayload.Of(NotifyType.NoProposalChosen));
        BinaryPrimitives.WriteUInt32BigEndian(truncated.AsSpan(24), (uint)truncated.Length + 40);
        Assert.Equal(ProbeOutcome.Malformed, probe.Handle(truncated).Result!.Outcome);
    }

    [Fact]
    public void OnPort4500TheNonEspMarkerIsWrittenAndExpected()
    {
        var target = IPEndPoint.Parse("192.0.2.2:4500");
        var probe = new IkeProbe(new ProbeOptions { Target = target, Local = s_local }, Random(19));
        byte[] request = probe.Start();
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(request));
        byte[] answer = Answer(probe, NotifyPayload.Of(NotifyType.NoProposalChosen));
        Assert.Equal(ProbeStep.Ignore, probe.Handle(answer)); // without the marker it would be ESP
        Assert.Equal("NO_PROPOSAL_CHOSEN", probe.Handle([0, 0, 0, 0, .. answer]).Result!.NotifyName);
    }

    [Fact]
    public void RetransmissionsAreCountedAndTheEndStatesReported()
    {
        var probe = new IkeProbe(new ProbeOptions { Target = s_target, Local = s_local }, Random(21));
        byte[] first = probe.Start();
        Assert.Same(first, probe.Retransmit());
        probe.Retransmit();
        ProbeResult none = probe.NoAnswer();
        Assert.Equal(ProbeOutcome.NoAnswer, none.Outcome);
        Assert.Contains("no answer to 3 IKEv2 IKE_SA_INIT request(s)", none.Describe());
        Assert.Contains("closed (ICMP port unreachable)", probe.Closed().Describe());
    }
}
