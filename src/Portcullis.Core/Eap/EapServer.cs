using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Crypto;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Eap;

/// <summary>
/// The authenticator's side of one EAP conversation (RFC 3748) with EAP-MSCHAPv2: optionally EAP-Identity, then the
/// MS-CHAPv2 Challenge, the Success (or Failure) request and EAP-Success (or EAP-Failure). Sans-IO: the caller carries
/// the packets (in IKE_AUTH's EAP payloads) and supplies randomness; nothing here waits or throws on peer input.
/// <para>
/// The user is looked up by the Name in the MS-CHAPv2 Response, as strongSwan does: that is the name the password
/// is checked for, so <see cref="Identity"/> becomes it. An unknown user gets the same MS-CHAPv2 Failure as a wrong
/// password, so a client cannot tell which names exist; only <see cref="EapServerStep.Reason"/> says which it was.
/// A wrong password ends the method (R=0): no retries for a client to guess with.
/// </para>
/// </summary>
public sealed class EapServer : IDisposable
{
    private enum State { NotStarted, WaitIdentity, WaitMsChapV2Response, WaitSuccessAck, WaitFailureAck, Done }

    private readonly EapServerOptions _options;
    private readonly Action<Span<byte>> _random;
    private State _state;
    private byte _identifier;
    private byte[] _outstanding = [];
    private readonly byte[] _challenge = new byte[MsChapV2.ChallengeLength];
    private byte _msChapV2Id;
    private byte[]? _msk;
    private string? _failureReason;
    private int _discarded;

    /// <summary>A server for one client.</summary>
    /// <exception cref="ArgumentException">The method is not EAP-MSCHAPv2.</exception>
    public EapServer(EapServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.FindPassword);
        if (options.Method != EapType.MsChapV2)
            throw new ArgumentException($"EAP method {EapTypeNames.Of(options.Method)} is not supported (only MSCHAPV2)", nameof(options));
        _options = options;
        _random = options.Random ?? RandomNumberGenerator.Fill;
        Identity = options.AskIdentity ? null : options.InitialIdentity;
    }

    /// <summary>
    /// The client's identity: its EAP-Identity answer (or <see cref="EapServerOptions.InitialIdentity"/>), then the
    /// MS-CHAPv2 Name once the Response arrives, which is the user whose password was checked.
    /// </summary>
    public string? Identity { get; private set; }

    /// <summary>The method in use.</summary>
    public EapType Method => _options.Method;

    /// <summary>The first EAP Request: EAP-Identity, or the MS-CHAPv2 Challenge. A second call repeats it.</summary>
    public byte[] Start()
    {
        if (_state != State.NotStarted) return _outstanding.ToArray();
        Span<byte> first = stackalloc byte[1];
        _random(first);
        _identifier = first[0];
        if (_options.AskIdentity)
        {
            _state = State.WaitIdentity;
            _outstanding = EapPacket.Request(_identifier, EapType.Identity, []).ToArray();
        }
        else _outstanding = StartMsChapV2(_identifier);
        return _outstanding.ToArray();
    }

    /// <summary>Processes the client's EAP packet (the body of its EAP payload).</summary>
    public EapServerStep Process(ReadOnlySpan<byte> eapResponse)
    {
        switch (_state)
        {
            case State.NotStarted: return new EapServerStep(EapServerStepKind.Failure, [], reason: "EAP server not started");
            case State.Done: return new EapServerStep(EapServerStepKind.Failure, [], reason: "EAP conversation is already over");
        }
        if (!EapPacket.TryParse(eapResponse, out EapPacket? packet, out ParseError error)) return Discard($"malformed EAP packet: {error}");
        if (packet!.Code != EapCode.Response) return Discard($"EAP-{packet.Code} from the client, expected a Response");
        if (packet.Identifier != _identifier)
            return Discard($"EAP Response with Identifier {packet.Identifier}, the outstanding Request has {_identifier}");

        if (IsNak(packet) && _state != State.WaitIdentity)
            return Fail($"client answered with a Nak for EAP-MSCHAPv2 (wants: {DescribeNak(packet)})");

        switch (_state)
        {
            case State.WaitIdentity:
                if (packet.Type != EapType.Identity) return Discard($"{packet} while waiting for the EAP-Identity");
                Identity = IdentityText(packet.TypeData);
                return Next(StartMsChapV2(unchecked((byte)(_identifier + 1))));

            case State.WaitMsChapV2Response:
            case State.WaitSuccessAck:
            case State.WaitFailureAck:
                if (packet.Type != EapType.MsChapV2) return Discard($"{packet} during EAP-MSCHAPv2");
                if (!EapMsChapV2Packet.TryParse(EapCode.Response, packet.TypeData, out EapMsChapV2Packet? ms, out error))
                    return Discard($"malformed EAP-MSCHAPv2 Response: {error}");
                return ProcessMsChapV2(ms!);

            default:
                return Fail("EAP server in an unknown state");
        }
    }

    private EapServerStep ProcessMsChapV2(EapMsChapV2Packet ms)
    {
        switch (_state, ms.OpCode)
        {
            case (State.WaitMsChapV2Response, MsChapV2OpCode.Response):
                if (ms.MsChapV2Id != _msChapV2Id) return Discard($"MS-CHAPv2 Response with MS-CHAPv2-ID {ms.MsChapV2Id}, the Challenge had {_msChapV2Id}");
                return CheckResponse(ms);
            case (State.WaitMsChapV2Response, MsChapV2OpCode.Failure):
                return Fail("client gave up on EAP-MSCHAPv2 (it sent an MS-CHAPv2 Failure instead of a Response)");
            case (State.WaitSuccessAck, MsChapV2OpCode.Success):
            {
                _state = State.Done;
                byte[] msk = _msk!;
                _msk = null;
                return new EapServerStep(EapServerStepKind.Success, EapPacket.Success(_identifier).ToArray(), msk);
            }
            case (State.WaitSuccessAck, MsChapV2OpCode.Failure):
                return Fail($"client '{Printable(Identity)}' refused our MS-CHAPv2 Success (our authenticator response did not check out: another password?)");
            case (State.WaitFailureAck, MsChapV2OpCode.Failure):
                return Fail(_failureReason!);
            default:
                return Discard($"MS-CHAPv2 {ms.OpCode} in the wrong place");
        }
    }

    private EapServerStep CheckResponse(EapMsChapV2Packet ms)
    {
        string name = Encoding.UTF8.GetString(ms.Name);
        Identity = name;
        byte[]? secret = _options.FindPassword(name);
        if (secret is null) return FailureRequest($"unknown EAP identity '{Printable(name)}'");

        ReadOnlySpan<byte> userName = WithoutDomain(ms.Name);
        byte[] passwordHash = EapMsChapV2Keys.NtPasswordHashOfSecret(secret);
        byte[]? expected = null;
        try
        {
            expected = MsChapV2.GenerateNtResponse(_challenge, ms.PeerChallenge, userName, passwordHash);
            if (!CryptographicOperations.FixedTimeEquals(expected, ms.NtResponse))
                return FailureRequest($"MS-CHAPv2 response of '{Printable(name)}' is wrong (bad password?)");

            byte[] proof = MsChapV2.AuthenticatorResponse(passwordHash, expected, ms.PeerChallenge, _challenge, userName);
            _msk = EapMsChapV2Keys.DeriveMsk(passwordHash, expected);
            string text = new MsChapV2SuccessMessage("S=" + Convert.ToHexString(proof), _options.SuccessText).Format();
            _state = State.WaitSuccessAck;
            byte id = unchecked((byte)(_identifier + 1));
            return Next(EapMsChapV2Packet.SuccessRequest(_msChapV2Id, Encoding.UTF8.GetBytes(text)).ToEap(EapCode.Request, id).ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordHash);
            if (expected is not null) CryptographicOperations.ZeroMemory(expected);
        }
    }

    // The MS-CHAPv2 Failure request; the EAP-Failure follows the client's acknowledgement.
    private EapServerStep FailureRequest(string reason)
    {
        _failureReason = reason;
        _state = State.WaitFailureAck;
        var newChallenge = new byte[MsChapV2.ChallengeLength];
        _random(newChallenge);
        string text = new MsChapV2FailureMessage(MsChapV2FailureMessage.AuthenticationFailure, false, newChallenge, 3, "Authentication failed").Format();
        byte id = unchecked((byte)(_identifier + 1));
        byte[] request = EapMsChapV2Packet.FailureRequest(_msChapV2Id, Encoding.ASCII.GetBytes(text)).ToEap(EapCode.Request, id).ToArray();
        _identifier = id;
        _outstanding = request;
        _discarded = 0;
        return new EapServerStep(EapServerStepKind.Request, request.ToArray(), reason: reason);
    }

    private byte[] StartMsChapV2(byte identifier)
    {
        _state = State.WaitMsChapV2Response;
        _random(_challenge);
        // MS-CHAPv2-ID follows the EAP Identifier of the Challenge, as Windows and strongSwan do.
        _msChapV2Id = identifier;
        return EapMsChapV2Packet.Challenge(_msChapV2Id, _challenge, Encoding.UTF8.GetBytes(_options.ServerName))
            .ToEap(EapCode.Request, identifier).ToArray();
    }

    private EapServerStep Next(byte[] request)
    {
        _identifier = request[1];
        _outstanding = request;
        _discarded = 0;
        return new EapServerStep(EapServerStepKind.Request, request.ToArray());
    }

    private EapServerStep Discard(string why)
    {
        if (++_discarded > _options.MaxDiscardedResponses)
            return Fail($"{why}; giving up after {_discarded} invalid EAP responses");
        return new EapServerStep(EapServerStepKind.Request, _outstanding.ToArray(), discarded: why);
    }

    private EapServerStep Fail(string reason)
    {
        _state = State.Done;
        Wipe();
        return new EapServerStep(EapServerStepKind.Failure, EapPacket.Failure(_identifier).ToArray(), reason: reason);
    }

    private static bool IsNak(EapPacket packet) =>
        packet.Type == EapType.Nak ||
        (packet.Type == EapType.Expanded && packet.TypeData[..3].IndexOfAnyExcept((byte)0) < 0
            && BinaryPrimitives.ReadUInt32BigEndian(packet.TypeData[3..]) == (uint)EapType.Nak);

    // The Desired Auth Types of a Nak (RFC 3748 §5.3.1) or Expanded Nak (§5.3.2), for the log.
    private static string DescribeNak(EapPacket packet)
    {
        var wanted = new List<string>();
        if (packet.Type == EapType.Nak)
        {
            foreach (byte t in packet.TypeData)
                if (t != 0) wanted.Add(EapTypeNames.Of((EapType)t));
        }
        else
        {
            ReadOnlySpan<byte> rest = packet.TypeData[7..];
            for (; rest.Length >= 8; rest = rest[8..])
            {
                uint vendor = (uint)(rest[1] << 16 | rest[2] << 8 | rest[3]);
                uint type = BinaryPrimitives.ReadUInt32BigEndian(rest[4..]);
                if (vendor == 0 && type == 0) continue;
                wanted.Add(vendor == 0 && type <= byte.MaxValue ? EapTypeNames.Of((EapType)type) : $"vendor {vendor} type {type}");
            }
        }
        return wanted.Count == 0 ? "nothing else" : string.Join(", ", wanted);
    }

    // RFC 3748 §5.1: the identity may be followed by a NUL and options the peer adds.
    private static string IdentityText(ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? data : data[..nul]);
    }

    private static ReadOnlySpan<byte> WithoutDomain(ReadOnlySpan<byte> name)
    {
        int backslash = name.IndexOf((byte)'\\');
        return backslash < 0 ? name : name[(backslash + 1)..];
    }

    // Peer text for a log line: control characters as '?', at most 255 characters (strongSwan's bound on a name).
    internal static string Printable(string? text)
    {
        if (text is null) return "";
        if (text.Length > 255) text = text[..255] + "…";
        return string.Create(text.Length, text, (span, s) =>
        {
            for (int i = 0; i < s.Length; i++) span[i] = char.IsControl(s[i]) ? '?' : s[i];
        });
    }

    private void Wipe()
    {
        if (_msk is not null) CryptographicOperations.ZeroMemory(_msk);
        _msk = null;
        CryptographicOperations.ZeroMemory(_challenge);
    }

    /// <summary>Wipes the key material still held (an MSK not handed out).</summary>
    public void Dispose() => Wipe();
}
