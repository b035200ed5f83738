using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Eap;

/// <summary>
/// The peer's side of one EAP conversation (RFC 3748) with EAP-MSCHAPv2: answers EAP-Identity and Notification,
/// MS-CHAPv2 Challenges, and offers MS-CHAPv2 in a Nak to any other method. Success only comes after the server
/// proved it knows the password (the MS-CHAPv2 authenticator response, RFC 2759 §8.8) and then sent EAP-Success;
/// an EAP-Success before that proof is refused, since accepting it would let anyone impersonate the server.
/// Sans-IO: the caller carries the packets and supplies randomness; nothing here throws on peer input. A malformed or
/// unexpected request ends the conversation (inside IKE there is no retransmitted EAP to wait for).
/// </summary>
public sealed class EapClient : IDisposable
{
    private enum State { Idle, WaitResult, ServerProved, Refused, Done }

    private readonly byte[] _password;
    private readonly Action<Span<byte>> _random;
    private State _state;
    private byte[]? _expectedProof;
    private byte[]? _msk;
    private string? _refusal;
    private byte[]? _lastRequest;
    private byte[]? _lastResponse;

    /// <summary>A client that authenticates as <paramref name="identity"/> with <paramref name="password"/>.</summary>
    /// <param name="identity">The EAP identity, sent in EAP-Identity and as the MS-CHAPv2 Name (a <c>DOMAIN\</c> prefix is kept there and left out of the hash).</param>
    /// <param name="password">The secret's bytes as configured (UTF-8 text); copied, and wiped on <see cref="Dispose"/>.</param>
    /// <param name="random">Fills a span with random bytes (the Peer-Challenge); null: the system's CSPRNG.</param>
    public EapClient(string identity, ReadOnlySpan<byte> password, Action<Span<byte>>? random = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        Identity = identity;
        _password = GC.AllocateArray<byte>(password.Length, pinned: true);
        password.CopyTo(_password);
        _random = random ?? RandomNumberGenerator.Fill;
    }

    /// <summary>The identity this client authenticates as.</summary>
    public string Identity { get; }

    /// <summary>The authenticator's Name from the MS-CHAPv2 Challenge, once one arrived.</summary>
    public string? ServerName { get; private set; }

    /// <summary>The text of the server's MS-CHAPv2 Success message (<c>M=</c>), once proven.</summary>
    public string? SuccessText { get; private set; }

    /// <summary>The text of the last EAP Notification, if the server sent any.</summary>
    public string? Notification { get; private set; }

    /// <summary>Processes the server's EAP packet (the body of its EAP payload).</summary>
    public EapClientStep Process(ReadOnlySpan<byte> eapRequest)
    {
        if (_state == State.Done) return new EapClientStep(EapClientStepKind.Failure, [], reason: "EAP conversation is already over");
        if (!EapPacket.TryParse(eapRequest, out EapPacket? packet, out ParseError error)) return Fail($"malformed EAP packet from the server: {error}");

        switch (packet!.Code)
        {
            case EapCode.Success:
                if (_state != State.ServerProved)
                    return Fail("server sent EAP-Success before proving it knows the password (no valid MS-CHAPv2 authenticator response)");
                _state = State.Done;
                byte[] msk = _msk!;
                _msk = null;
                Wipe();
                return new EapClientStep(EapClientStepKind.Success, [], msk);
            case EapCode.Failure:
                return Fail(_refusal is null ? "server sent EAP-Failure" : $"server sent EAP-Failure: {_refusal}");
            case EapCode.Response:
                return Fail("server sent an EAP Response");
        }

        // RFC 3748 §4.1: a retransmitted Request gets the same Response again.
        if (_lastRequest is not null && _lastResponse is not null && eapRequest[..packet.Length].SequenceEqual(_lastRequest))
            return new EapClientStep(EapClientStepKind.Response, _lastResponse.ToArray());

        EapClientStep step = packet.Type switch
        {
            EapType.Identity => Respond(EapPacket.Response(packet.Identifier, EapType.Identity, Encoding.UTF8.GetBytes(Identity))),
            EapType.Notification => Notify(packet),
            EapType.Nak => Fail("server sent a Nak, which only a client may send"),
            EapType.MsChapV2 => MsChapV2Request(packet),
            EapType.Expanded => Respond(ExpandedNak(packet.Identifier)),
            _ => Respond(EapPacket.Response(packet.Identifier, EapType.Nak, [(byte)EapType.MsChapV2])),
        };
        if (step.Kind == EapClientStepKind.Response)
        {
            _lastRequest = eapRequest[..packet.Length].ToArray();
            _lastResponse = step.Message.ToArray();
        }
        return step;
    }

    private EapClientStep Notify(EapPacket packet)
    {
        Notification = EapServer.Printable(Encoding.UTF8.GetString(packet.TypeData));
        return Respond(EapPacket.Response(packet.Identifier, EapType.Notification, []));
    }

    private EapClientStep MsChapV2Request(EapPacket packet)
    {
        if (!EapMsChapV2Packet.TryParse(EapCode.Request, packet.TypeData, out EapMsChapV2Packet? ms, out ParseError error))
            return Fail($"malformed EAP-MSCHAPv2 request: {error}");
        switch (ms!.OpCode)
        {
            case MsChapV2OpCode.Challenge when _state is State.Idle or State.WaitResult:
                return Answer(packet.Identifier, ms);
            case MsChapV2OpCode.Success when _state == State.WaitResult:
            {
                if (!MsChapV2SuccessMessage.TryParse(ms.Message, out MsChapV2SuccessMessage? success, out error))
                    return Fail($"malformed MS-CHAPv2 Success from the server: {error}");
                MsChapV2.TryDecodeAuthenticatorResponse(success!.AuthenticatorResponse, out byte[] proof);
                if (!CryptographicOperations.FixedTimeEquals(proof, _expectedProof))
                    return Fail("server's MS-CHAPv2 authenticator response is wrong: it does not know our password");
                SuccessText = success.Text is null ? null : EapServer.Printable(success.Text);
                _state = State.ServerProved;
                return Respond(EapMsChapV2Packet.SuccessResponse().ToEap(EapCode.Response, packet.Identifier));
            }
            case MsChapV2OpCode.Failure when _state == State.WaitResult:
            {
                _refusal = MsChapV2FailureMessage.TryParse(ms.Message, out MsChapV2FailureMessage? failure, out error)
                    ? $"server refused our MS-CHAPv2 response of '{EapServer.Printable(Identity)}': " +
                      MsChapV2FailureMessage.ErrorName(failure!.Error) + (failure.Text is { Length: > 0 } t ? $" ({EapServer.Printable(t)})" : "")
                    : $"server refused our MS-CHAPv2 response with a malformed Failure ({error})";
                // No retry with the same password even when R=1: acknowledge, and EAP-Failure follows.
                _state = State.Refused;
                WipeKeys();
                EapClientStep ack = Respond(EapMsChapV2Packet.FailureResponse().ToEap(EapCode.Response, packet.Identifier));
                return new EapClientStep(EapClientStepKind.Response, ack.Message, reason: _refusal);
            }
            default:
                return Fail($"unexpected MS-CHAPv2 {ms.OpCode} from the server");
        }
    }

    private EapClientStep Answer(byte identifier, EapMsChapV2Packet challenge)
    {
        ServerName = EapServer.Printable(Encoding.UTF8.GetString(challenge.Name));
        Span<byte> peerChallenge = stackalloc byte[MsChapV2.ChallengeLength];
        _random(peerChallenge);
        byte[] name = Encoding.UTF8.GetBytes(Identity);
        ReadOnlySpan<byte> userName = name;
        int backslash = userName.IndexOf((byte)'\\');
        if (backslash >= 0) userName = userName[(backslash + 1)..];

        byte[] passwordHash = EapMsChapV2Keys.NtPasswordHashOfSecret(_password);
        try
        {
            byte[] ntResponse = MsChapV2.GenerateNtResponse(challenge.Value, peerChallenge, userName, passwordHash);
            WipeKeys();
            _expectedProof = MsChapV2.AuthenticatorResponse(passwordHash, ntResponse, peerChallenge, challenge.Value, userName);
            _msk = EapMsChapV2Keys.DeriveMsk(passwordHash, ntResponse);
            _state = State.WaitResult;
            return Respond(EapMsChapV2Packet.Response(challenge.MsChapV2Id, peerChallenge, ntResponse, name).ToEap(EapCode.Response, identifier));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordHash);
        }
    }

    // RFC 3748 §5.3.2: an Expanded Nak (vendor 0, type 3) proposing MS-CHAPv2 as an expanded type.
    private static EapPacket ExpandedNak(byte identifier)
    {
        byte[] data = [0, 0, 0, 0, 0, 0, (byte)EapType.Nak, (byte)EapType.Expanded, 0, 0, 0, 0, 0, 0, (byte)EapType.MsChapV2];
        return EapPacket.Response(identifier, EapType.Expanded, data);
    }

    private static EapClientStep Respond(EapPacket response) => new(EapClientStepKind.Response, response.ToArray());

    private EapClientStep Fail(string reason)
    {
        _state = State.Done;
        Wipe();
        return new EapClientStep(EapClientStepKind.Failure, [], reason: reason);
    }

    private void WipeKeys()
    {
        if (_msk is not null) CryptographicOperations.ZeroMemory(_msk);
        if (_expectedProof is not null) CryptographicOperations.ZeroMemory(_expectedProof);
        _msk = null;
        _expectedProof = null;
    }

    private void Wipe()
    {
        WipeKeys();
        CryptographicOperations.ZeroMemory(_password);
    }

    /// <summary>Wipes the password copy and any key material still held.</summary>
    public void Dispose() => Wipe();
}
