using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Eap;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Ppp;

/// <summary>
/// The peer's side of the Authentication phase (the client): PAP Authenticate-Requests repeated every Restart
/// interval until answered (pppd's max-authreq is Max-Configure here); CHAP-MD5 and MS-CHAPv2 Responses to the
/// server's Challenges, repeated until Success or Failure arrives. An MS-CHAPv2 Success is believed only when its
/// <c>S=</c> proves the server knows the password (RFC 2759 §5), compared in constant time.
/// </summary>
internal sealed class PppAuthPeer : IDisposable
{
    private readonly PppContext _context;
    private readonly string _user;
    private readonly byte[] _password;
    private byte _identifier;
    private byte[]? _outstanding;
    private int _sent;
    private DateTimeOffset _giveUpAt;
    private AuthStep _step = AuthStep.Pending;

    // MS-CHAPv2: what the Success message must prove.
    private readonly byte[] _authenticatorChallenge = new byte[MsChapV2.ChallengeLength];
    private readonly byte[] _peerChallenge = new byte[MsChapV2.ChallengeLength];
    private byte[]? _ntResponse;

    public PppAuthPeer(PppContext context, PppAuthenticationProtocol protocol)
    {
        _context = context;
        Protocol = protocol;
        _user = context.Options.UserName ?? "";
        byte[] password = context.Options.Password ?? [];
        _password = GC.AllocateArray<byte>(password.Length, pinned: true);
        password.CopyTo(_password, 0);
    }

    public PppAuthenticationProtocol Protocol { get; }

    public string User => _user;

    public string FailureReason { get; private set; } = "";

    public DateTimeOffset? Deadline { get; private set; }

    public void Start(DateTimeOffset now)
    {
        _giveUpAt = now + _context.Options.AuthenticationTimeout;
        Deadline = _giveUpAt;
        if (Protocol != PppAuthenticationProtocol.Pap) return;
        Span<byte> first = stackalloc byte[1];
        _context.Random(first);
        _identifier = first[0];
        byte[] request = PapPacket.AuthenticateRequest(_identifier, Encoding.UTF8.GetBytes(_user), _password).ToArray();
        _outstanding = request;
        Resend(now);
    }

    private void Resend(DateTimeOffset now)
    {
        _sent++;
        _context.Send(Protocol.CarriedBy(), _outstanding!.ToArray());
        DateTimeOffset next = now + _context.Options.RestartInterval;
        Deadline = next < _giveUpAt ? next : _giveUpAt;
    }

    public AuthStep Timeout(DateTimeOffset now)
    {
        if (_step != AuthStep.Pending || Deadline is not DateTimeOffset due || now < due) return AuthStep.Pending;
        if (now >= _giveUpAt)
            return Fail(_outstanding is null
                ? $"no {Protocol.Name()} Challenge from the server within {_context.Options.AuthenticationTimeout.TotalSeconds:0} s"
                : $"no answer to our {Protocol.Name()} credentials within {_context.Options.AuthenticationTimeout.TotalSeconds:0} s");
        if (_outstanding is null) { Deadline = _giveUpAt; return AuthStep.Pending; }
        if (_sent >= _context.Options.MaxConfigure) return Fail($"server did not answer {_sent} {Protocol.Name()} {(Protocol == PppAuthenticationProtocol.Pap ? "Authenticate-Requests" : "Responses")}");
        Resend(now);
        return AuthStep.Pending;
    }

    public AuthStep Receive(DateTimeOffset now, ushort protocol, ReadOnlySpan<byte> information)
    {
        if (protocol != Protocol.CarriedBy())
        {
            PppLog.Discarded(_context.Logger, _context.Name, PppProtocolNames.Of(protocol), "packet", $"{Protocol.Name()} was negotiated");
            return AuthStep.Pending;
        }
        if (_step != AuthStep.Pending) return AuthStep.Pending;
        return Protocol == PppAuthenticationProtocol.Pap ? ReceivePap(information) : ReceiveChap(now, information);
    }

    private AuthStep ReceivePap(ReadOnlySpan<byte> information)
    {
        if (!PapPacket.TryParse(information, out PapPacket? packet, out ParseError error))
        {
            PppLog.BadPacket(_context.Logger, _context.Name, "PAP", error.ToString());
            return AuthStep.Pending;
        }
        packet!.Wipe();
        if (packet.Code == PapCode.AuthenticateRequest || packet.Identifier != _identifier)
        {
            PppLog.Discarded(_context.Logger, _context.Name, "PAP", packet.Code.ToString(), $"not an answer to our Authenticate-Request {_identifier}");
            return AuthStep.Pending;
        }
        if (packet.Code == PapCode.AuthenticateAck) return Succeed();
        return Fail($"server refused the PAP password of '{PppAuthenticator.Printable(_user)}': {PppAuthenticator.Printable(Encoding.UTF8.GetString(packet.Message))}");
    }

    private AuthStep ReceiveChap(DateTimeOffset now, ReadOnlySpan<byte> information)
    {
        if (!ChapPacket.TryParse(information, out ChapPacket? packet, out ParseError error))
        {
            PppLog.BadPacket(_context.Logger, _context.Name, "CHAP", error.ToString());
            return AuthStep.Pending;
        }
        switch (packet!.Code)
        {
            case ChapCode.Challenge:
                if (_outstanding is not null && packet.Identifier == _identifier)
                {
                    // The server did not get our Response: the same one again.
                    Resend(now);
                    return AuthStep.Pending;
                }
                return Respond(now, packet);
            case ChapCode.Success or ChapCode.Failure when _outstanding is null || packet.Identifier != _identifier:
                PppLog.Discarded(_context.Logger, _context.Name, "CHAP", packet.Code.ToString(), $"not an answer to our Response {_identifier}");
                return AuthStep.Pending;
            case ChapCode.Success:
                return Protocol == PppAuthenticationProtocol.MsChapV2 ? CheckMsChapV2Success(packet.Message) : Succeed();
            case ChapCode.Failure:
                return Fail(DescribeFailure(packet.Message));
            default:
                PppLog.Discarded(_context.Logger, _context.Name, "CHAP", packet.Code.ToString(), "not expected by the peer");
                return AuthStep.Pending;
        }
    }

    private AuthStep Respond(DateTimeOffset now, ChapPacket challenge)
    {
        byte[] name = Encoding.UTF8.GetBytes(_user);
        byte[] value;
        if (Protocol == PppAuthenticationProtocol.MsChapV2)
        {
            if (challenge.Value.Length != MsChapV2ResponseValue.ChallengeSize)
            {
                PppLog.BadPacket(_context.Logger, _context.Name, "CHAP", $"Value-Size {challenge.Value.Length} in an MS-CHAPv2 Challenge, must be {MsChapV2ResponseValue.ChallengeSize}");
                return AuthStep.Pending;
            }
            challenge.Value.CopyTo(_authenticatorChallenge);
            _context.Random(_peerChallenge);
            byte[] hash = EapMsChapV2Keys.NtPasswordHashOfSecret(_password);
            try
            {
                if (_ntResponse is not null) CryptographicOperations.ZeroMemory(_ntResponse);
                _ntResponse = MsChapV2.GenerateNtResponse(_authenticatorChallenge, _peerChallenge, PppAuthenticator.WithoutDomain(name), hash);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(hash);
            }
            value = MsChapV2ResponseValue.Build(_peerChallenge, _ntResponse);
        }
        else value = ChapMd5.Response(challenge.Identifier, _password, challenge.Value);
        _identifier = challenge.Identifier;
        _outstanding = ChapPacket.Response(_identifier, value, name).ToArray();
        _sent = 0;
        Resend(now);
        return AuthStep.Pending;
    }

    private AuthStep CheckMsChapV2Success(ReadOnlySpan<byte> message)
    {
        if (!MsChapV2SuccessMessage.TryParse(message, out MsChapV2SuccessMessage? success, out ParseError error))
            return Fail($"MS-CHAPv2 Success from the server is malformed: {error}");
        MsChapV2.TryDecodeAuthenticatorResponse(success!.AuthenticatorResponse, out byte[] received);
        byte[] hash = EapMsChapV2Keys.NtPasswordHashOfSecret(_password);
        try
        {
            byte[] expected = MsChapV2.AuthenticatorResponse(hash, _ntResponse!, _peerChallenge, _authenticatorChallenge,
                PppAuthenticator.WithoutDomain(Encoding.UTF8.GetBytes(_user)));
            if (!CryptographicOperations.FixedTimeEquals(expected, received))
                return Fail("the server's MS-CHAPv2 authenticator response is wrong: it does not know our password (impostor?)");
            return Succeed();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    private string DescribeFailure(ReadOnlySpan<byte> message)
    {
        string who = PppAuthenticator.Printable(_user);
        if (Protocol == PppAuthenticationProtocol.MsChapV2 && MsChapV2FailureMessage.TryParse(message, out MsChapV2FailureMessage? failure, out _))
        {
            string text = failure!.Text is null ? "" : $": {PppAuthenticator.Printable(failure.Text)}";
            return $"server refused MS-CHAPv2 for '{who}': E={failure.Error} ({MsChapV2FailureMessage.ErrorName(failure.Error)}){text}";
        }
        return $"server refused {Protocol.Name()} for '{who}': {PppAuthenticator.Printable(Encoding.UTF8.GetString(message))}";
    }

    private AuthStep Succeed()
    {
        _step = AuthStep.Succeeded;
        Deadline = null;
        Wipe();
        return _step;
    }

    private AuthStep Fail(string reason)
    {
        _step = AuthStep.Failed;
        FailureReason = reason;
        Deadline = null;
        Wipe();
        return _step;
    }

    private void Wipe()
    {
        CryptographicOperations.ZeroMemory(_password);
        if (_ntResponse is not null) CryptographicOperations.ZeroMemory(_ntResponse);
        if (_outstanding is not null && Protocol == PppAuthenticationProtocol.Pap) CryptographicOperations.ZeroMemory(_outstanding);
        _outstanding = Protocol == PppAuthenticationProtocol.Pap ? null : _outstanding;
    }

    public void Dispose() => Wipe();
}
