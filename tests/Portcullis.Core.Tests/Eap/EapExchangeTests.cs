using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Eap;

namespace Portcullis.Core.Tests.Eap;

/// <summary>EapServer and EapClient against each other and against hand-made packets.</summary>
public class EapExchangeTests
{
    private static Action<Span<byte>> Seeded(int seed)
    {
        var random = new Random(seed);
        return span => random.NextBytes(span);
    }

    private static readonly Dictionary<string, byte[]> Users = new()
    {
        ["alice"] = "correct horse"u8.ToArray(),
        [@"EXAMPLE\carol"] = "carol's pw"u8.ToArray(),
        ["dave"] = Encoding.UTF8.GetBytes("pässwörd"),
    };

    private static EapServer Server(bool askIdentity = true, string? initialIdentity = null, List<string>? lookups = null, int seed = 1) =>
        new(new EapServerOptions
        {
            AskIdentity = askIdentity,
            InitialIdentity = initialIdentity,
            FindPassword = name =>
            {
                lookups?.Add(name);
                return Users.GetValueOrDefault(name);
            },
            Random = Seeded(seed),
        });

    private static EapClient Client(string identity, string password, int seed = 2) => new(identity, Encoding.UTF8.GetBytes(password), Seeded(seed));

    private sealed record Outcome(EapServerStep Server, EapClientStep Client, List<byte[]> Transcript, List<EapServerStep> ServerSteps, List<EapClientStep> ClientSteps);

    // Runs the conversation until the server ends it, then lets the client read the server's last packet.
    private static Outcome Run(EapServer server, EapClient client)
    {
        var transcript = new List<byte[]>();
        var serverSteps = new List<EapServerStep>();
        var clientSteps = new List<EapClientStep>();
        byte[] request = server.Start();
        for (int round = 0; round < 10; round++)
        {
            transcript.Add(request);
            EapClientStep c = client.Process(request);
            clientSteps.Add(c);
            if (c.Kind != EapClientStepKind.Response) return new(serverSteps.LastOrDefault()!, c, transcript, serverSteps, clientSteps);
            transcript.Add(c.Message);
            EapServerStep s = server.Process(c.Message);
            serverSteps.Add(s);
            if (s.Kind != EapServerStepKind.Request)
            {
                transcript.Add(s.Message);
                EapClientStep last = client.Process(s.Message);
                clientSteps.Add(last);
                return new(s, last, transcript, serverSteps, clientSteps);
            }
            request = s.Message;
        }
        throw new InvalidOperationException("conversation does not end");
    }

    private static EapPacket Packet(byte[] bytes)
    {
        Assert.True(EapPacket.TryParse(bytes, out EapPacket? p, out _));
        return p!;
    }

    private static EapMsChapV2Packet MsPacket(byte[] bytes)
    {
        EapPacket p = Packet(bytes);
        Assert.Equal(EapType.MsChapV2, p.Type);
        Assert.True(EapMsChapV2Packet.TryParse(p.Code, p.TypeData, out EapMsChapV2Packet? ms, out _));
        return ms!;
    }

    // ---- successful conversations ------------------------------------------------------------------------------

    [Fact]
    public void WithEapIdentityBothSidesDeriveTheSameMsk()
    {
        var lookups = new List<string>();
        using EapServer server = Server(lookups: lookups);
        using EapClient client = Client("alice", "correct horse");
        Outcome o = Run(server, client);

        Assert.Equal(EapServerStepKind.Success, o.Server.Kind);
        Assert.Equal(EapClientStepKind.Success, o.Client.Kind);
        Assert.Equal(64, o.Server.Msk!.Length);
        Assert.Equal(o.Server.Msk, o.Client.Msk);
        Assert.Equal(new byte[32], o.Server.Msk[32..]);
        Assert.Equal("alice", server.Identity);
        Assert.Equal(["alice"], lookups);
        Assert.Equal("Portcullis", client.ServerName);
        Assert.Equal("Welcome to Portcullis", client.SuccessText);

        // Identity, Challenge, Success request, EAP-Success, with each Response in between.
        Assert.Equal(7, o.Transcript.Count);
        Assert.Equal(EapType.Identity, Packet(o.Transcript[0]).Type);
        Assert.Equal("alice"u8.ToArray(), Packet(o.Transcript[1]).TypeData.ToArray());
        Assert.Equal(MsChapV2OpCode.Challenge, MsPacket(o.Transcript[2]).OpCode);
        Assert.Equal(MsChapV2OpCode.Response, MsPacket(o.Transcript[3]).OpCode);
        Assert.Equal(MsChapV2OpCode.Success, MsPacket(o.Transcript[4]).OpCode);
        Assert.True(MsPacket(o.Transcript[5]).IsShortForm);
        Assert.Equal(EapCode.Success, Packet(o.Transcript[6]).Code);
        // Each new Request has a new Identifier; each Response and the EAP-Success echo the one they answer.
        byte[] ids = o.Transcript.Select(t => t[1]).ToArray();
        Assert.Equal([ids[0], ids[0], (byte)(ids[0] + 1), (byte)(ids[0] + 1), (byte)(ids[0] + 2), (byte)(ids[0] + 2), (byte)(ids[0] + 2)], ids);

        // The MSK is the one RFC 3079's keys give for this exchange's NT-Response.
        EapMsChapV2Packet response = MsPacket(o.Transcript[3]);
        Assert.Equal(EapMsChapV2Keys.DeriveMsk(MsChapV2.NtPasswordHash("correct horse"), response.NtResponse), o.Server.Msk);
    }

    [Fact]
    public void WithoutEapIdentityTheIkeIdentityStandsIn()
    {
        using EapServer server = Server(askIdentity: false, initialIdentity: "alice");
        Assert.Equal("alice", server.Identity);
        using EapClient client = Client("alice", "correct horse");
        Outcome o = Run(server, client);
        Assert.Equal(EapServerStepKind.Success, o.Server.Kind);
        Assert.Equal(o.Server.Msk, o.Client.Msk);
        Assert.Equal(MsChapV2OpCode.Challenge, MsPacket(o.Transcript[0]).OpCode);
        Assert.Equal(5, o.Transcript.Count);
    }

    [Fact]
    public void DomainUsersSendTheirDomainButHashWithoutIt()
    {
        var lookups = new List<string>();
        using EapServer server = Server(lookups: lookups);
        using EapClient client = Client(@"EXAMPLE\carol", "carol's pw");
        Outcome o = Run(server, client);
        Assert.Equal(EapServerStepKind.Success, o.Server.Kind);
        Assert.Equal([@"EXAMPLE\carol"], lookups);
        EapMsChapV2Packet challenge = MsPacket(o.Transcript[2]), response = MsPacket(o.Transcript[3]);
        Assert.Equal(@"EXAMPLE\carol"u8.ToArray(), response.Name.ToArray());
        Assert.Equal(MsChapV2.GenerateNtResponse(challenge.Value, response.PeerChallenge, "carol", "carol's pw"), response.NtResponse.ToArray());
    }

    [Fact]
    public void NonAsciiPasswordsAreHashedAsUtf16()
    {
        using EapServer server = Server();
        using EapClient client = Client("dave", "pässwörd");
        Outcome o = Run(server, client);
        Assert.Equal(EapServerStepKind.Success, o.Server.Kind);
        Assert.Equal(MsChapV2.NtPasswordHash("pässwörd"), EapMsChapV2Keys.NtPasswordHashOfSecret(Encoding.UTF8.GetBytes("pässwörd")));
        // Bytes that are not UTF-8 are widened one by one, as strongSwan widens every secret.
        Assert.Equal(MsChapV2.NtPasswordHash(new byte[] { 0xFF, 0, 0x41, 0 }), EapMsChapV2Keys.NtPasswordHashOfSecret([0xFF, 0x41]));
    }

    [Fact]
    public void SeedsDoNotMatterToTheOutcome()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            using EapServer server = Server(seed: seed);
            using EapClient client = Client("alice", "correct horse", seed + 100);
            Outcome o = Run(server, client);
            Assert.Equal(EapServerStepKind.Success, o.Server.Kind);
            Assert.Equal(o.Server.Msk, o.Client.Msk);
        }
    }

    // ---- refusals ----------------------------------------------------------------------------------------------

    [Fact]
    public void WrongPasswordGetsAnMsChapV2FailureThenEapFailure()
    {
        using EapServer server = Server();
        using EapClient client = Client("alice", "wrong horse");
        Outcome o = Run(server, client);

        const string reason = "MS-CHAPv2 response of 'alice' is wrong (bad password?)";
        EapServerStep failureRequest = o.ServerSteps[^2];
        Assert.Equal(EapServerStepKind.Request, failureRequest.Kind);
        Assert.Equal(reason, failureRequest.Reason);
        EapMsChapV2Packet failure = MsPacket(failureRequest.Message);
        Assert.Equal(MsChapV2OpCode.Failure, failure.OpCode);
        Assert.True(MsChapV2FailureMessage.TryParse(failure.Message, out MsChapV2FailureMessage? text, out _));
        Assert.Equal((691, false, 3), (text!.Error, text.Retry, text.Version));
        Assert.Equal(16, text.Challenge!.Length);

        EapClientStep ack = o.ClientSteps[^2];
        Assert.Equal(EapClientStepKind.Response, ack.Kind);
        Assert.Contains("ERROR_AUTHENTICATION_FAILURE", ack.Reason);
        Assert.Equal(MsChapV2OpCode.Failure, MsPacket(ack.Message).OpCode);

        Assert.Equal(EapServerStepKind.Failure, o.Server.Kind);
        Assert.Equal(reason, o.Server.Reason);
        Assert.Equal(EapCode.Failure, Packet(o.Server.Message).Code);
        Assert.Null(o.Server.Msk);
        Assert.Equal(EapClientStepKind.Failure, o.Client.Kind);
        Assert.StartsWith("server sent EAP-Failure: server refused our MS-CHAPv2 response of 'alice': ERROR_AUTHENTICATION_FAILURE", o.Client.Reason);
        Assert.Null(o.Client.Msk);
    }

    [Fact]
    public void UnknownUserLooksLikeAWrongPasswordOnTheWire()
    {
        using EapServer server = Server();
        using EapClient client = Client("bob", "anything");
        Outcome o = Run(server, client);
        Assert.Equal(EapServerStepKind.Failure, o.Server.Kind);
        Assert.Equal("unknown EAP identity 'bob'", o.Server.Reason);
        Assert.Equal("bob", server.Identity);

        using EapServer server2 = Server();
        using EapClient client2 = Client("alice", "wrong");
        Outcome wrong = Run(server2, client2);
        string Text(Outcome x) => Encoding.ASCII.GetString(MsPacket(x.ServerSteps[^2].Message).Message)[..12] +
                                  Encoding.ASCII.GetString(MsPacket(x.ServerSteps[^2].Message).Message)[44..];
        Assert.Equal(Text(wrong), Text(o));
    }

    [Fact]
    public void ReasonsShowPeerTextSafely()
    {
        using EapServer server = Server();
        using EapClient client = Client(new string('x', 1000) + "\n\u0007", "pw");
        Outcome o = Run(server, client);
        Assert.Equal(EapServerStepKind.Failure, o.Server.Kind);
        Assert.Equal("unknown EAP identity '" + new string('x', 255) + "…'", o.Server.Reason);

        using EapServer server2 = Server();
        using EapClient client2 = Client("bad\u001b[2Jname", "pw");
        Assert.Equal("unknown EAP identity 'bad?[2Jname'", Run(server2, client2).Server.Reason);
    }

    [Fact]
    public void NakEndsTheConversationAndSaysWhatTheClientWants()
    {
        using EapServer server = Server(askIdentity: false, initialIdentity: "alice");
        byte id = server.Start()[1];
        EapServerStep step = server.Process(EapPacket.Response(id, EapType.Nak, [(byte)EapType.Tls]).ToArray());
        Assert.Equal(EapServerStepKind.Failure, step.Kind);
        Assert.Equal("client answered with a Nak for EAP-MSCHAPv2 (wants: TLS)", step.Reason);
        Assert.Equal(EapPacket.Failure(id).ToArray(), step.Message);

        using EapServer none = Server(askIdentity: false);
        id = none.Start()[1];
        Assert.Equal("client answered with a Nak for EAP-MSCHAPv2 (wants: nothing else)",
            none.Process(EapPacket.Response(id, EapType.Nak, [0]).ToArray()).Reason);

        using EapServer expanded = Server(askIdentity: false);
        id = expanded.Start()[1];
        byte[] expandedNak = [0, 0, 0, 0, 0, 0, 3, 254, 0, 0, 0, 0, 0, 0, 25, 254, 0, 0, 9, 0, 0, 0, 7];
        Assert.Equal("client answered with a Nak for EAP-MSCHAPv2 (wants: PEAP, vendor 9 type 7)",
            expanded.Process(EapPacket.Response(id, EapType.Expanded, expandedNak).ToArray()).Reason);
    }

    [Fact]
    public void ClientGivingUpOrRefusingOurProofFails()
    {
        using EapServer server = Server(askIdentity: false);
        byte id = server.Start()[1];
        EapServerStep step = server.Process(EapMsChapV2Packet.FailureResponse().ToEap(EapCode.Response, id).ToArray());
        Assert.Equal(EapServerStepKind.Failure, step.Kind);
        Assert.Contains("client gave up", step.Reason);

        using EapServer server2 = Server(askIdentity: false);
        using EapClient client = Client("alice", "correct horse");
        EapClientStep response = client.Process(server2.Start());
        EapServerStep success = server2.Process(response.Message);
        Assert.Equal(MsChapV2OpCode.Success, MsPacket(success.Message).OpCode);
        step = server2.Process(EapMsChapV2Packet.FailureResponse().ToEap(EapCode.Response, success.Message[1]).ToArray());
        Assert.Equal(EapServerStepKind.Failure, step.Kind);
        Assert.Contains("refused our MS-CHAPv2 Success", step.Reason);
    }

    // ---- discarded responses -----------------------------------------------------------------------------------

    [Fact]
    public void ReplayedOrMisnumberedResponsesAreDiscardedAndTheRequestRepeated()
    {
        using EapServer server = Server();
        using EapClient client = Client("alice", "correct horse");
        byte[] identityRequest = server.Start();
        byte[] identityResponse = client.Process(identityRequest).Message;
        byte[] challenge = server.Process(identityResponse).Message;

        // The Identity response again: its Identifier is the previous Request's.
        EapServerStep replay = server.Process(identityResponse);
        Assert.Equal(EapServerStepKind.Request, replay.Kind);
        Assert.Equal(challenge, replay.Message);
        Assert.Contains("Identifier", replay.Discarded);

        // A Response with the right Identifier but the wrong MS-CHAPv2-ID, and a Request sent back at us.
        byte[] response = client.Process(challenge).Message;
        byte[] wrongMsId = response.ToArray();
        wrongMsId[6] ^= 0x55;
        Assert.Contains("MS-CHAPv2-ID", server.Process(wrongMsId).Discarded);
        Assert.Contains("expected a Response", server.Process(challenge).Discarded);

        // The genuine Response still works afterwards.
        EapServerStep success = server.Process(response);
        Assert.Equal(MsChapV2OpCode.Success, MsPacket(success.Message).OpCode);
        Assert.Null(success.Discarded);
    }

    [Fact]
    public void TooManyDiscardedResponsesEndInFailure()
    {
        using EapServer server = Server();
        byte[] request = server.Start();
        for (int i = 0; i < 3; i++)
        {
            EapServerStep step = server.Process([1, 2, 3]);
            Assert.Equal(EapServerStepKind.Request, step.Kind);
            Assert.Equal(request, step.Message);
            Assert.StartsWith("malformed EAP packet: EAP header", step.Discarded);
        }
        EapServerStep last = server.Process([1, 2, 3]);
        Assert.Equal(EapServerStepKind.Failure, last.Kind);
        Assert.Contains("giving up after 4 invalid EAP responses", last.Reason);
        Assert.Equal("EAP conversation is already over", server.Process(request).Reason);
    }

    [Fact]
    public void GarbageNeverThrows()
    {
        var random = new Random(9);
        using EapClient template = Client("alice", "correct horse");
        using EapServer templateServer = Server(askIdentity: false);
        byte[] challenge = templateServer.Start();
        byte[] response = template.Process(challenge).Message;
        for (int i = 0; i < 500; i++)
        {
            byte[] junk = new byte[random.Next(0, 80)];
            random.NextBytes(junk);
            if (junk.Length > 3 && i % 2 == 0) { junk[2] = 0; junk[3] = (byte)junk.Length; junk[0] = (byte)random.Next(1, 5); }
            using EapServer server = Server(askIdentity: i % 3 == 0);
            server.Start();
            _ = server.Process(junk);
            using EapClient client = Client("alice", "pw");
            _ = client.Process(junk);
        }
        for (int n = 0; n < response.Length; n++)
        {
            using EapServer server = Server(askIdentity: false, seed: 1);
            server.Start();
            EapServerStep step = server.Process(response.AsSpan(0, n));
            Assert.Equal(EapServerStepKind.Request, step.Kind);
            Assert.NotNull(step.Discarded);
        }
        for (int n = 0; n < challenge.Length; n++)
        {
            using EapClient client = Client("alice", "pw");
            Assert.Equal(EapClientStepKind.Failure, client.Process(challenge.AsSpan(0, n)).Kind);
        }
    }

    [Fact]
    public void ServerBeforeStartOrWithAnotherMethod()
    {
        using EapServer server = Server();
        EapServerStep step = server.Process(EapPacket.Response(1, EapType.Identity, "x"u8).ToArray());
        Assert.Equal(EapServerStepKind.Failure, step.Kind);
        Assert.Empty(step.Message);
        Assert.Equal(server.Start(), server.Start());
        Assert.Throws<ArgumentException>(() => new EapServer(new EapServerOptions { Method = EapType.Tls, FindPassword = _ => null }));
    }

    // ---- the client's guard rails ------------------------------------------------------------------------------

    [Fact]
    public void ClientRefusesEapSuccessBeforeTheServerProvedItself()
    {
        using EapClient first = Client("alice", "correct horse");
        EapClientStep step = first.Process(EapPacket.Success(1).ToArray());
        Assert.Equal(EapClientStepKind.Failure, step.Kind);
        Assert.Contains("before proving it knows the password", step.Reason);
        Assert.Null(step.Msk);

        using EapServer server = Server(askIdentity: false);
        using EapClient client = Client("alice", "correct horse");
        byte[] challenge = server.Start();
        client.Process(challenge);
        step = client.Process(EapPacket.Success(challenge[1]).ToArray());
        Assert.Equal(EapClientStepKind.Failure, step.Kind);
        Assert.Contains("before proving", step.Reason);
        Assert.Equal("EAP conversation is already over", client.Process(challenge).Reason);
    }

    [Fact]
    public void ClientRefusesAWrongAuthenticatorResponse()
    {
        using EapServer server = Server(askIdentity: false);
        using EapClient client = Client("alice", "correct horse");
        byte[] successRequest = server.Process(client.Process(server.Start()).Message).Message;
        EapMsChapV2Packet success = MsPacket(successRequest);
        byte[] text = success.Message.ToArray();
        text[2] = text[2] == (byte)'0' ? (byte)'1' : (byte)'0';
        byte[] forged = EapMsChapV2Packet.SuccessRequest(success.MsChapV2Id, text).ToEap(EapCode.Request, successRequest[1]).ToArray();
        EapClientStep step = client.Process(forged);
        Assert.Equal(EapClientStepKind.Failure, step.Kind);
        Assert.Contains("authenticator response is wrong", step.Reason);
    }

    [Fact]
    public void ClientNaksOtherMethodsProposingMsChapV2()
    {
        using EapClient client = Client("alice", "pw");
        byte[] nak = client.Process(EapPacket.Request(5, EapType.Md5Challenge, [16, .. new byte[16]]).ToArray()).Message;
        Assert.Equal(EapPacket.Response(5, EapType.Nak, [26]).ToArray(), nak);

        byte[] expanded = client.Process(EapPacket.Request(6, EapType.Expanded, [0, 0, 9, 0, 0, 0, 1]).ToArray()).Message;
        EapPacket p = Packet(expanded);
        Assert.Equal(EapType.Expanded, p.Type);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 3, 254, 0, 0, 0, 0, 0, 0, 26 }, p.TypeData.ToArray());

        Assert.Equal(EapClientStepKind.Failure, client.Process(EapPacket.Request(7, EapType.Nak, [26]).ToArray()).Kind);
    }

    [Fact]
    public void ClientAnswersNotificationsAndRetransmissions()
    {
        using EapClient client = Client("alice", "correct horse");
        EapClientStep note = client.Process(EapPacket.Request(3, EapType.Notification, "maintenance at 5"u8).ToArray());
        Assert.Equal(EapPacket.Response(3, EapType.Notification, []).ToArray(), note.Message);
        Assert.Equal("maintenance at 5", client.Notification);

        using EapServer server = Server(askIdentity: false);
        byte[] challenge = server.Start();
        byte[] first = client.Process(challenge).Message;
        byte[] again = client.Process(challenge).Message;
        Assert.Equal(first, again);
        Assert.Equal(MsChapV2OpCode.Success, MsPacket(server.Process(again).Message).OpCode);
    }
}
