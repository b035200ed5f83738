using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portcullis.Core.Config;
using Portcullis.Core.Crypto;
using Portcullis.Core.Crypto.Kdf;
using Portcullis.Core.Crypto.Registry;
using Portcullis.Core.Crypto.Signatures;
using Portcullis.Core.Pki;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using ParseError = Portcullis.Core.Ikev2.Wire.ParseError;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// Phase 1 (RFC 2409 §5, §5.1, §5.4): Main Mode (SA; KE, nonce, NAT-D; then ID and HASH, or CERT and SIG, encrypted)
/// and Aggressive Mode (all of it in three messages, the responder's proof in the clear), with NAT-T (RFC 3947).
/// </summary>
public sealed partial class IsakmpSa
{
    private readonly string _exchangeName;
    private List<Phase1Choice> _choices = [];
    private Phase1Choice? _choice;
    private Ikev1SaKeys? _keys;
    private IsakmpEncryption? _encryption;
    private byte[] _iv = [];
    private byte[] _lastPhase1Block = [];
    private IKeyExchange? _keyExchange;
    private SecretBuffer? _sharedSecret;
    private byte[] _gxi = [], _gxr = [], _ni = [], _nr = [], _saiB = [];
    private bool _peerSentNatT;
    private int _step;
    private bool _initialContactReceived;

    private const int NonceSize = 32;

    private System.Security.Cryptography.HashAlgorithmName Hash => _choice!.Prf.Hash!.Value;

    private static bool IsNatTraversalVid(VendorIdPayload v) => v.Data.SequenceEqual(VendorIds.NatTraversal);

    private void ReadVendorIds(IsakmpMessage message)
    {
        var names = new List<string>();
        foreach (VendorIdPayload v in message.All<VendorIdPayload>())
        {
            if (IsNatTraversalVid(v)) _peerSentNatT = true;
            if (v.Data.SequenceEqual(VendorIds.Dpd)) PeerSupportsDpd = true;
            names.Add(VendorIds.Name(v.Data) ?? Convert.ToHexStringLower(v.Data));
        }
        if (names.Count > 0) Ikev1Log.VendorIds(Log, Name, Uid, string.Join(", ", names));
    }

    private List<IsakmpPayload> OurVendorIds(bool natT)
    {
        var list = new List<IsakmpPayload>();
        if (natT) list.Add(new VendorIdPayload(VendorIds.NatTraversal));
        list.Add(new VendorIdPayload(VendorIds.Dpd));
        if (Connection.LocalXauth is not null || Connection.RemoteXauth is not null) list.Add(new VendorIdPayload(VendorIds.Xauth));
        return list;
    }

    /// <summary>The phase 1 lifetime we offer or accept: the later of rekey and reauth time plus over_time (strongSwan's hard lifetime).</summary>
    private TimeSpan OwnLifetime
    {
        get
        {
            TimeSpan longest = Connection.RekeyTime > Connection.ReauthTime ? Connection.RekeyTime : Connection.ReauthTime;
            return longest > TimeSpan.Zero ? longest + Connection.EffectiveOverTime : TimeSpan.Zero;
        }
    }

    /// <summary>Our identity: the configured one; with a certificate its subject; else our address (strongSwan's defaults).</summary>
    private Identity OwnIdentity => Connection.Local.Id
        ?? (UsesSignatures && OwnCertificate() is { } cert ? new Identity(IdType.DerAsn1Dn, cert.SubjectName.RawData) : Identity.FromAddress(LocalEndpoint.Address));

    /// <summary>The authentication method of the connection: one for both sides in IKEv1 (with XAUTH after it, if any).</summary>
    private AuthenticationMethod Method => MethodFor(Connection, IsInitiator);

    private bool UsesSignatures => Connection.Remote.Class == AuthClass.PublicKey;

    private bool _peerSentCertReq;

    /// <summary>The peer's certificate, once its signature was verified.</summary>
    public X509Certificate2? RemoteCertificate { get; private set; }

    private CredentialStore Credentials => _v1.Main.Credentials;

    private X509Certificate2? OwnCertificate() => Connection.Local.Certs.Count > 0
        ? Credentials.FindCertificate(Connection.Local.Certs[0])
        : Connection.Local.Id is { } id ? Credentials.FindCertificateFor(id) : null;

    /// <summary>CERTREQ payloads naming the CAs we trust for the peer (RFC 2408 §3.10: the CA's distinguished name).</summary>
    private IEnumerable<IsakmpPayload> CertReqs()
    {
        if (!UsesSignatures || !Connection.SendCertReq) return [];
        IEnumerable<X509Certificate2> cas = Connection.Remote.CaCerts.Count == 0 ? Credentials.CaCertificates
            : Connection.Remote.CaCerts.Select(Credentials.FindCaCertificate).OfType<X509Certificate2>();
        return cas.Select(ca => new CertReqPayload(CertPayload.X509Signature, ca.SubjectName.RawData)).ToArray();
    }

    /// <summary>
    /// What proves us after our ID: HASH_I/HASH_R itself with a PSK; with RSA signatures our certificate (when
    /// send_cert says so) and SIG_I/SIG_R, the signature over the hash (RFC 2409 §5.1). Null with the reason when we
    /// have no usable certificate or key.
    /// </summary>
    private List<IsakmpPayload>? OwnProof(byte[] hash, out string? problem)
    {
        problem = null;
        if (!UsesSignatures) return [new HashPayload(hash)];
        X509Certificate2? cert = OwnCertificate();
        if (cert is null) { problem = Connection.Local.Certs.Count > 0 ? $"certificate '{Connection.Local.Certs[0]}' not loaded" : $"no certificate for '{LocalId}'"; return null; }
        if (Credentials.FindPrivateKey(cert) is not RSA key) { problem = $"no RSA private key for certificate \"{cert.Subject}\" (IKEv1 signs with RSA only)"; return null; }
        var proof = new List<IsakmpPayload>();
        if (Connection.SendCert == SendCertPolicy.Always || Connection.SendCert == SendCertPolicy.IfAsked && _peerSentCertReq)
            proof.Add(new CertPayload(CertPayload.X509Signature, cert.RawData));
        proof.Add(new SignaturePayload(RsaPkcs1NullSignature.Sign(key, hash)));
        return proof;
    }

    /// <summary>
    /// Checks the peer's proof against the hash we expect of it: the HASH payload with a PSK; with signatures its
    /// certificate (sent or loaded), the chain to a trusted CA, its identity in the certificate and SIG over the hash.
    /// Null when proven, else the reason.
    /// </summary>
    private string? VerifyProof(DateTimeOffset now, IsakmpMessage message, byte[] expected, Identity? peerId, bool initiatorsProof)
    {
        string hashName = initiatorsProof ? "HASH_I" : "HASH_R";
        if (!UsesSignatures) return HashMatches(message.Get<HashPayload>(), expected) ? null : $"invalid {hashName}: pre-shared key mismatch?";
        if (peerId is null) return "the ID payload names no identity";
        SignaturePayload? sig = message.Get<SignaturePayload>();
        if (sig is null) return $"no SIG_{(initiatorsProof ? "I" : "R")} payload";
        var received = new List<X509Certificate2>();
        foreach (CertPayload c in message.All<CertPayload>().Where(c => c.Encoding == CertPayload.X509Signature))
        {
            try { received.Add(X509CertificateLoader.LoadCertificate(c.Data)); }
            catch (CryptographicException) { return "a CERT payload is not an X.509 certificate"; }
        }
        X509Certificate2? end = received.FirstOrDefault() ?? Credentials.Certificates.FirstOrDefault(c => CertificateIdentity.Matches(c, peerId));
        if (end is null) return $"peer '{peerId}' sent no certificate and none is loaded for it";
        IReadOnlyList<X509Certificate2>? anchors = Connection.Remote.CaCerts.Count == 0 ? null
            : Connection.Remote.CaCerts.Select(Credentials.FindCaCertificate).OfType<X509Certificate2>().ToArray();
        CertificateValidation v = Credentials.Validate(end, received.Skip(1).ToArray(), anchors, now);
        if (!v.Ok) return v.Message;
        if (!CertificateIdentity.Matches(end, peerId)) return $"'{peerId}' is not in certificate {CertificateIdentity.Describe(end)}";
        using RSA? publicKey = end.GetRSAPublicKey();
        if (publicKey is null) return $"certificate {CertificateIdentity.Describe(end)} has no RSA key (IKEv1 verifies RSA signatures only)";
        if (!RsaPkcs1NullSignature.Verify(publicKey, expected, sig.Signature)) return $"invalid SIG_{(initiatorsProof ? "I" : "R")}: the signature of '{peerId}' over {hashName} is wrong";
        RemoteCertificate = end;
        return null;
    }

    /// <summary>SKEYID for the method, and the keys from it; false (and the SA gone) when there is no PSK for the pair.</summary>
    private bool DeriveKeysFor(DateTimeOffset now, IsakmpHeader header, Identity? peerId)
    {
        if (UsesSignatures)
        {
            DeriveKeys(null);
            return true;
        }
        byte[]? psk = PreSharedKey(peerId);
        if (psk is null)
        {
            Fail(now, header, $"no pre-shared key for '{LocalId}' and '{peerId?.ToString() ?? Connection.Remote.Id?.ToString() ?? RemoteEndpoint.Address.ToString()}'", NotifyMessageType.AuthenticationFailed);
            return false;
        }
        DeriveKeys(psk);
        return true;
    }

    // --- Initiator ---

    internal void StartInitiator(DateTimeOffset now)
    {
        LocalId = OwnIdentity;
        _choices = Ikev1Proposals.Phase1(Connection.Proposals);
        if (Mode == Phase1Mode.Aggressive)
        {
            // One KE payload in the first message: every transform must use its group (RFC 2409 §5.4).
            KeyExchangeTransform group = _choices[0].Group;
            _choices = _choices.Where(c => c.Group == group).ToList();
        }
        SaPayload sa = Ikev1Proposals.Phase1Sa(_choices, Method, OwnLifetime);
        _saiB = sa.BodyBytes();
        Ikev1Log.Initiating(Log, Name, Uid, _exchangeName, RemoteEndpoint, Ikev1Proposals.Describe(_choices));
        var payloads = new List<IsakmpPayload> { sa };
        if (Mode == Phase1Mode.Aggressive)
        {
            _keyExchange = _choices[0].Group.CreateInitiator();
            _gxi = _keyExchange.PublicValue.ToArray();
            _ni = _v1.Main.RandomBytes(NonceSize);
            payloads.Add(new KePayload(_gxi));
            payloads.Add(new NoncePayload(_ni));
            payloads.Add(IdPayload.FromIdentity(LocalId));
            payloads.AddRange(CertReqs());
        }
        payloads.AddRange(OurVendorIds(natT: true));
        SendPhase1(now, payloads, encrypted: false, awaitReply: true);
        _step = 1;
    }

    private void SendPhase1(DateTimeOffset now, List<IsakmpPayload> payloads, bool encrypted, bool awaitReply)
    {
        IsakmpHeader header = Header(Mode == Phase1Mode.Main ? IsakmpExchangeType.IdentityProtection : IsakmpExchangeType.Aggressive, 0);
        byte[] datagram = encrypted ? IsakmpMessage.EncodeEncrypted(header, payloads, _encryption!, _iv) : IsakmpMessage.Encode(header, payloads);
        LogMessage("sending", header.ExchangeType, 0, payloads, LocalEndpoint, RemoteEndpoint);
        Send(now, _phase1, datagram, awaitReply);
    }

    // --- Responder: the first message, already parsed and matched by the engine ---

    internal void HandleFirstMessage(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, ReadOnlySpan<byte> datagram,
        Phase1Choice choice, Phase1Offer offer, TransformPayload transform)
    {
        _phase1.LastReceived = datagram.ToArray();
        LogMessage("received", header.ExchangeType, 0, message.Payloads, LocalEndpoint, RemoteEndpoint);
        ReadVendorIds(message);
        NatTraversal = _peerSentNatT;
        _choice = choice;
        _saiB = message.Get<SaPayload>()!.BodyBytes();
        Lifetime = Shorter(offer.LifeSeconds, OwnLifetime);
        LocalId = OwnIdentity;
        Ikev1Log.Responding(Log, Name, Uid, _exchangeName, RemoteEndpoint, choice.ToString());
        byte number = message.Get<SaPayload>()!.Proposals.First(p => p.Transforms.Contains(transform)).Number;
        var sa = new SaPayload([new ProposalPayload(number, IsakmpProtocolId.Isakmp, [], [transform])]);
        if (Mode == Phase1Mode.Main)
        {
            var payloads = new List<IsakmpPayload> { sa };
            payloads.AddRange(OurVendorIds(NatTraversal));
            SendPhase1(now, payloads, encrypted: false, awaitReply: false);
            _step = 2;
            return;
        }
        // Aggressive Mode: KE, Ni and IDii came along; answer with everything, HASH_R included.
        KePayload? ke = message.Get<KePayload>();
        NoncePayload? ni = message.Get<NoncePayload>();
        IdPayload? id = message.Get<IdPayload>();
        Identity? peerId = id?.ToIdentity();
        if (ke is null || ni is null || peerId is null)
        {
            Fail(now, header, "Aggressive Mode message 1 lacks KE, nonce or a usable ID", NotifyMessageType.PayloadMalformed);
            return;
        }
        RemoteId = peerId;
        IdiBody = id!.BodyBytes();
        _ni = ni.Nonce.ToArray();
        _gxi = ke.Data.ToArray();
        if (!RespondKeyExchange(now, header, ke)) return;
        _nr = _v1.Main.RandomBytes(NonceSize);
        _peerSentCertReq = message.Get<CertReqPayload>() is not null;
        if (!DeriveKeysFor(now, header, peerId)) return;
        IdPayload idr = IdPayload.FromIdentity(LocalId);
        byte[] hashR = Ikev1Hashes.HashR(_choice.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, idr.BodyBytes());
        if (OwnProof(hashR, out string? cannot) is not { } proof)
        {
            Fail(now, header, cannot!, NotifyMessageType.AuthenticationFailed);
            return;
        }
        var reply = new List<IsakmpPayload> { sa, new KePayload(_gxr), new NoncePayload(_nr), idr };
        reply.AddRange(proof);
        reply.AddRange(CertReqs());
        if (NatTraversal) reply.AddRange(NatDPayloads());
        reply.AddRange(OurVendorIds(NatTraversal));
        SendPhase1(now, reply, encrypted: false, awaitReply: true);
        State = IsakmpSaState.Authenticating;
        _step = 2;
    }

    private static TimeSpan Shorter(ulong? peerSeconds, TimeSpan own)
    {
        if (peerSeconds is not { } s || s == 0) return own;
        var peer = TimeSpan.FromSeconds(Math.Min(s, (ulong)TimeSpan.MaxValue.TotalSeconds / 2));
        return own == TimeSpan.Zero || peer < own ? peer : own;
    }

    /// <summary>The PSK for our identity and the peer's (the configured one, or its address, in Main Mode before its ID arrives).</summary>
    private byte[]? PreSharedKey(Identity? peerId)
    {
        Identity remote = peerId ?? Connection.Remote.Id ?? Identity.FromAddress(RemoteEndpoint.Address);
        return _v1.Main.Config.FindSharedSecret(LocalId!, remote)?.Secret;
    }

    /// <summary>Responder's half of the Diffie-Hellman exchange; false (and the SA gone) when the peer's value is bad.</summary>
    private bool RespondKeyExchange(DateTimeOffset now, IsakmpHeader header, KePayload ke)
    {
        _keyExchange = _choice!.Group.CreateResponder();
        KeyExchangeError result = _keyExchange.Respond(ke.Data, out SecretBuffer? shared);
        if (result != KeyExchangeError.None)
        {
            Fail(now, header, $"invalid KE payload ({result}) for {_choice.Group.Keyword}", NotifyMessageType.InvalidKeyInformation);
            return false;
        }
        _sharedSecret = shared;
        _gxr = _keyExchange.PublicValue.ToArray();
        return true;
    }

    /// <summary>SKEYID and its offspring, the encryption key and the first IV (RFC 2409 §5, Appendix B).</summary>
    private void DeriveKeys(byte[]? psk)
    {
        SecretBuffer skeyId = psk is not null
            ? Ikev1KeyDerivation.SkeyIdForPreSharedKey(_choice!.Prf, psk, _ni, _nr)
            : Ikev1KeyDerivation.SkeyIdForSignatures(_choice!.Prf, _ni, _nr, _sharedSecret!.ReadOnlySpan);
        _keys = Ikev1KeyDerivation.Derive(_choice.Prf, skeyId, _sharedSecret!.ReadOnlySpan, InitiatorCookie, ResponderCookie);
        using SecretBuffer key = Ikev1KeyDerivation.EncryptionKey(_choice.Prf, _keys.SkeyIdE.ReadOnlySpan, _choice.Encryption.KeyMaterialSize);
        _encryption = new IsakmpEncryption(_choice.Encryption, key.ReadOnlySpan);
        _iv = Ikev1Hashes.Phase1Iv(Hash, _gxi, _gxr, _encryption.BlockSize);
        _v1.Options.Ikev1KeyLog?.Invoke(this, key.ReadOnlySpan.ToArray(), _keys);
        _sharedSecret.Dispose();
        _sharedSecret = null;
        _keyExchange?.Dispose();
        _keyExchange = null;
    }

    /// <summary>
    /// NAT-D payloads (RFC 3947 §3.2): the peer's address as we send to it, then ours. With <c>encap = yes</c> our
    /// own is a random hash, so the peer believes us behind a NAT and both sides encapsulate ESP in UDP.
    /// </summary>
    private IsakmpPayload[] NatDPayloads()
    {
        byte[] remote = Ikev1Hashes.NatD(Hash, InitiatorCookie, ResponderCookie, RemoteEndpoint);
        byte[] local = Connection.Encap ? _v1.Main.RandomBytes(remote.Length) : Ikev1Hashes.NatD(Hash, InitiatorCookie, ResponderCookie, LocalEndpoint);
        return [new NatDPayload(remote), new NatDPayload(local)];
    }

    /// <summary>Compares the peer's NAT-D payloads with the addresses the message travelled between.</summary>
    private void DetectNat(IsakmpMessage message, IPEndPoint local, IPEndPoint remote)
    {
        NatDPayload[] natd = message.All<NatDPayload>().ToArray();
        if (!NatTraversal || natd.Length < 2) return;
        byte[] ours = Ikev1Hashes.NatD(Hash, InitiatorCookie, ResponderCookie, local);
        byte[] theirs = Ikev1Hashes.NatD(Hash, InitiatorCookie, ResponderCookie, remote);
        LocalBehindNat = !natd[0].Hash.SequenceEqual(ours);
        RemoteBehindNat = !natd.Skip(1).Any(n => n.Hash.SequenceEqual(theirs));
    }

    // --- Messages 2 to 6 ---

    private void HandlePhase1(DateTimeOffset now, IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        bool expectEncrypted = Mode == Phase1Mode.Main ? _step >= 4 : _step == 2 && !IsInitiator && header.IsEncrypted;
        if (header.IsEncrypted != expectEncrypted)
        {
            Dropped(header, remote, $"{_exchangeName} message {_step + 1} {(header.IsEncrypted ? "encrypted" : "not encrypted")}, expected otherwise");
            return;
        }
        if (!IsakmpMessage.TryDecode(datagram, header, _encryption, _iv, out IsakmpMessage? message, out byte[] nextIv, out ParseError error))
        {
            if (header.IsEncrypted && !IsInitiator)
            {
                // With another PSK the peer's keys differ: its message 5 decrypts to garbage.
                AuthenticationFailed(now, header, $"invalid HASH_I: {_exchangeName} message {_step + 1} did not decrypt to valid payloads ({error}); pre-shared key mismatch?");
                return;
            }
            if (header.IsEncrypted)
            {
                AuthenticationFailed(now, header, $"invalid HASH_R: {_exchangeName} message {_step + 1} did not decrypt to valid payloads ({error}); pre-shared key mismatch?");
                return;
            }
            Dropped(header, remote, error.ToString());
            return;
        }
        LogMessage("received", header.ExchangeType, 0, message!.Payloads, local, remote);
        byte[] received = datagram.ToArray();
        bool ok = (Mode, IsInitiator, _step) switch
        {
            (Phase1Mode.Main, true, 1) => MainMode2(now, header, message),
            (Phase1Mode.Main, false, 2) => MainMode3(now, header, message, local, remote),
            (Phase1Mode.Main, true, 3) => MainMode4(now, header, message, local, remote),
            (Phase1Mode.Main, false, 4) => MainMode5(now, header, message, nextIv, local, remote),
            (Phase1Mode.Main, true, 5) => MainMode6(now, header, message, nextIv, local, remote),
            (Phase1Mode.Aggressive, true, 1) => Aggressive2(now, header, message, local, remote),
            (Phase1Mode.Aggressive, false, 2) => Aggressive3(now, header, message, nextIv, local, remote),
            _ => DroppedUnexpected(header, remote),
        };
        if (ok && State != IsakmpSaState.Deleted) _phase1.LastReceived = received;
    }

    private bool DroppedUnexpected(IsakmpHeader header, IPEndPoint remote)
    {
        Dropped(header, remote, $"unexpected {_exchangeName} message in state {State}");
        return false;
    }

    /// <summary>Initiator: the responder's SA must be exactly one of the transforms we offered.</summary>
    private bool AcceptResponderSa(DateTimeOffset now, IsakmpHeader header, SaPayload? sa)
    {
        if (sa is null || sa.Proposals.Count != 1 || sa.Proposals[0].Transforms.Count != 1)
        {
            Fail(now, header, "the responder's SA payload must hold exactly one proposal with one transform", NotifyMessageType.BadProposalSyntax);
            return false;
        }
        if (!Ikev1Proposals.TryDecodePhase1(sa.Proposals[0].Transforms[0], out Phase1Offer? offer, out string problem)
            || _choices.FirstOrDefault(c => c.Encryption == offer!.Encryption && c.Prf == offer.Prf && c.Group == offer.Group) is not { } chosen
            || offer!.Method != Method)
        {
            Fail(now, header, $"the responder selected {Ikev1Proposals.DescribePhase1(sa)}, which we did not offer{(problem.Length > 0 ? $" ({problem})" : "")}", NotifyMessageType.NoProposalChosen);
            return false;
        }
        _choice = chosen;
        Lifetime = Shorter(offer.LifeSeconds, OwnLifetime);
        return true;
    }

    private bool MainMode2(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message)
    {
        if (!AcceptResponderSa(now, header, message.Get<SaPayload>())) return false;
        ResponderCookie = header.ResponderCookie;
        ReadVendorIds(message);
        NatTraversal = _peerSentNatT;
        _keyExchange = _choice!.Group.CreateInitiator();
        _gxi = _keyExchange.PublicValue.ToArray();
        _ni = _v1.Main.RandomBytes(NonceSize);
        var payloads = new List<IsakmpPayload> { new KePayload(_gxi), new NoncePayload(_ni) };
        payloads.AddRange(CertReqs());
        if (NatTraversal) payloads.AddRange(NatDPayloads());
        SendPhase1(now, payloads, encrypted: false, awaitReply: true);
        _step = 3;
        return true;
    }

    private bool MainMode3(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, IPEndPoint local, IPEndPoint remote)
    {
        KePayload? ke = message.Get<KePayload>();
        NoncePayload? ni = message.Get<NoncePayload>();
        if (ke is null || ni is null)
        {
            Dropped(header, remote, "Main Mode message 3 without KE or nonce");
            return false;
        }
        _gxi = ke.Data.ToArray();
        _ni = ni.Nonce.ToArray();
        if (!RespondKeyExchange(now, header, ke)) return false;
        DetectNat(message, local, remote);
        _nr = _v1.Main.RandomBytes(NonceSize);
        _peerSentCertReq = message.Get<CertReqPayload>() is not null;
        if (!DeriveKeysFor(now, header, null)) return false;
        var payloads = new List<IsakmpPayload> { new KePayload(_gxr), new NoncePayload(_nr) };
        payloads.AddRange(CertReqs());
        if (NatTraversal) payloads.AddRange(NatDPayloads());
        SendPhase1(now, payloads, encrypted: false, awaitReply: false);
        LogNat();
        State = IsakmpSaState.Authenticating;
        _step = 4;
        return true;
    }

    private void LogNat()
    {
        if (LocalBehindNat || RemoteBehindNat) Ikev1Log.NatDetected(Log, Name, Uid, LocalBehindNat, RemoteBehindNat, LocalEndpoint, RemoteEndpoint);
    }

    /// <summary>Initiator: with a NAT anywhere IKE moves to port 4500 before the encrypted messages (RFC 3947 §4).</summary>
    private void FloatIfNat()
    {
        if (!NatTraversal || !(LocalBehindNat || RemoteBehindNat || Connection.Encap)) return;
        LocalEndpoint = new IPEndPoint(LocalEndpoint.Address, _v1.Options.NatTraversalPort);
        RemoteEndpoint = new IPEndPoint(RemoteEndpoint.Address, _v1.Options.RemoteNatTraversalPort);
    }

    private bool MainMode4(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, IPEndPoint local, IPEndPoint remote)
    {
        KePayload? ke = message.Get<KePayload>();
        NoncePayload? nr = message.Get<NoncePayload>();
        if (ke is null || nr is null)
        {
            Dropped(header, remote, "Main Mode message 4 without KE or nonce");
            return false;
        }
        if (_keyExchange!.Complete(ke.Data, out SecretBuffer? shared) != KeyExchangeError.None)
        {
            Fail(now, header, $"invalid KE payload for {_choice!.Group.Keyword}", NotifyMessageType.InvalidKeyInformation);
            return false;
        }
        _sharedSecret = shared;
        _gxr = ke.Data.ToArray();
        _nr = nr.Nonce.ToArray();
        DetectNat(message, local, remote);
        _peerSentCertReq = message.Get<CertReqPayload>() is not null;
        if (!DeriveKeysFor(now, header, null)) return false;
        FloatIfNat();
        LogNat();
        IdPayload idi = IdPayload.FromIdentity(LocalId!);
        byte[] hashI = Ikev1Hashes.HashI(_choice!.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, idi.BodyBytes());
        if (OwnProof(hashI, out string? cannot) is not { } proof)
        {
            Remove(now, cannot!);
            return false;
        }
        var payloads = new List<IsakmpPayload> { idi };
        payloads.AddRange(proof);
        if (!_v1.OthersWithPeer(this).Any()) payloads.Add(NotificationPayload.ForIsakmpSa(NotifyMessageType.InitialContact, InitiatorCookie, ResponderCookie));
        State = IsakmpSaState.Authenticating;
        SendPhase1(now, payloads, encrypted: true, awaitReply: true);
        _step = 5;
        return true;
    }

    /// <summary>Checks a HASH_I/HASH_R payload against the expected value in constant time.</summary>
    private static bool HashMatches(HashPayload? received, byte[] expected) =>
        received is not null && received.Hash.Length == expected.Length && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(received.Hash, expected);

    /// <summary>The peer's ID must be the configured remote identity (when one is configured).</summary>
    private string? CheckPeerIdentity(Identity? peerId)
    {
        if (peerId is null) return "the ID payload is missing or names no identity";
        if (Connection.Remote.Id is { } wanted && !CertificateIdentity.IdentityMatches(wanted, peerId))
            return $"peer identity '{peerId}' is not the configured '{wanted}'";
        return null;
    }

    private bool MainMode5(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, byte[] nextIv, IPEndPoint local, IPEndPoint remote)
    {
        IdPayload? id = message.Get<IdPayload>();
        byte[] expected = id is null ? [] : Ikev1Hashes.HashI(_choice!.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, id.BodyBytes());
        if (id is null || !UsesSignatures && !HashMatches(message.Get<HashPayload>(), expected))
        {
            AuthenticationFailed(now, header, "invalid HASH_I: pre-shared key mismatch?");
            return false;
        }
        // The message decrypted: the IV chain moves on, also for the notify that refuses an unexpected identity.
        _iv = nextIv;
        Identity? peerId = id.ToIdentity();
        if ((CheckPeerIdentity(peerId) ?? VerifyProof(now, message, expected, peerId, initiatorsProof: true)) is { } problem)
        {
            AuthenticationFailed(now, header, problem, peerId);
            return false;
        }
        RemoteId = peerId;
        UpdateEndpoints(now, local, remote);
        _initialContactReceived = message.Notify(NotifyMessageType.InitialContact) is not null;
        // strongSwan asks for our certificate only here, in message 5.
        _peerSentCertReq |= message.Get<CertReqPayload>() is not null;
        IdPayload idr = IdPayload.FromIdentity(LocalId!);
        byte[] hashR = Ikev1Hashes.HashR(_choice!.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, idr.BodyBytes());
        if (OwnProof(hashR, out string? cannot) is not { } proof)
        {
            Fail(now, header, cannot!, NotifyMessageType.AuthenticationFailed);
            return false;
        }
        SendPhase1(now, [idr, .. proof], encrypted: true, awaitReply: false);
        _step = 6;
        Established(now);
        return true;
    }

    private bool MainMode6(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, byte[] nextIv, IPEndPoint local, IPEndPoint remote)
    {
        IdPayload? id = message.Get<IdPayload>();
        byte[] expected = id is null ? [] : Ikev1Hashes.HashR(_choice!.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, id.BodyBytes());
        if (id is null || !UsesSignatures && !HashMatches(message.Get<HashPayload>(), expected))
        {
            AuthenticationFailed(now, header, "invalid HASH_R: pre-shared key mismatch?");
            return false;
        }
        _iv = nextIv;
        Identity? peerId = id.ToIdentity();
        if ((CheckPeerIdentity(peerId) ?? VerifyProof(now, message, expected, peerId, initiatorsProof: false)) is { } problem)
        {
            AuthenticationFailed(now, header, problem, peerId);
            return false;
        }
        RemoteId = peerId;
        UpdateEndpoints(now, local, remote);
        EndOfExchange(_phase1);
        _step = 6;
        Established(now);
        return true;
    }

    private bool Aggressive2(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, IPEndPoint local, IPEndPoint remote)
    {
        if (!AcceptResponderSa(now, header, message.Get<SaPayload>())) return false;
        KePayload? ke = message.Get<KePayload>();
        NoncePayload? nr = message.Get<NoncePayload>();
        IdPayload? id = message.Get<IdPayload>();
        if (ke is null || nr is null || id is null)
        {
            Fail(now, header, "Aggressive Mode message 2 lacks KE, nonce or ID", NotifyMessageType.PayloadMalformed);
            return false;
        }
        ResponderCookie = header.ResponderCookie;
        ReadVendorIds(message);
        NatTraversal = _peerSentNatT;
        if (_keyExchange!.Complete(ke.Data, out SecretBuffer? shared) != KeyExchangeError.None)
        {
            Fail(now, header, $"invalid KE payload for {_choice!.Group.Keyword}", NotifyMessageType.InvalidKeyInformation);
            return false;
        }
        _sharedSecret = shared;
        _gxr = ke.Data.ToArray();
        _nr = nr.Nonce.ToArray();
        Identity? peerId = id.ToIdentity();
        _peerSentCertReq = message.Get<CertReqPayload>() is not null;
        if (!DeriveKeysFor(now, header, peerId)) return false;
        byte[] expected = Ikev1Hashes.HashR(_choice!.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, id.BodyBytes());
        if (!UsesSignatures && !HashMatches(message.Get<HashPayload>(), expected))
        {
            AuthenticationFailed(now, header, "invalid HASH_R: pre-shared key mismatch?");
            return false;
        }
        if ((CheckPeerIdentity(peerId) ?? VerifyProof(now, message, expected, peerId, initiatorsProof: false)) is { } problem)
        {
            AuthenticationFailed(now, header, problem, peerId);
            return false;
        }
        RemoteId = peerId;
        DetectNat(message, local, remote);
        IsakmpPayload[] ourNatD = NatTraversal ? NatDPayloads() : [];
        FloatIfNat();
        LogNat();
        IdPayload idi = IdPayload.FromIdentity(LocalId!);
        byte[] hashI = Ikev1Hashes.HashI(_choice.Prf, _keys.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, idi.BodyBytes());
        if (OwnProof(hashI, out string? cannot) is not { } proof)
        {
            Remove(now, cannot!);
            return false;
        }
        var payloads = new List<IsakmpPayload>(proof);
        payloads.AddRange(ourNatD);
        if (!_v1.OthersWithPeer(this).Any()) payloads.Add(NotificationPayload.ForIsakmpSa(NotifyMessageType.InitialContact, InitiatorCookie, ResponderCookie));
        // The third message goes encrypted, as strongSwan and most others send it; it ends phase 1 for us.
        SendPhase1(now, payloads, encrypted: true, awaitReply: false);
        _step = 3;
        Established(now);
        return true;
    }

    private bool Aggressive3(DateTimeOffset now, IsakmpHeader header, IsakmpMessage message, byte[] nextIv, IPEndPoint local, IPEndPoint remote)
    {
        byte[] expected = Ikev1Hashes.HashI(_choice!.Prf, _keys!.SkeyId.ReadOnlySpan, _gxi, _gxr, InitiatorCookie, ResponderCookie, _saiB, IdiBody!);
        if (!UsesSignatures && !HashMatches(message.Get<HashPayload>(), expected))
        {
            AuthenticationFailed(now, header, "invalid HASH_I: pre-shared key mismatch?");
            return false;
        }
        if (header.IsEncrypted) _iv = nextIv;
        if ((CheckPeerIdentity(RemoteId) ?? VerifyProof(now, message, expected, RemoteId, initiatorsProof: true)) is { } problem)
        {
            AuthenticationFailed(now, header, problem, RemoteId);
            return false;
        }
        DetectNat(message, local, remote);
        LogNat();
        UpdateEndpoints(now, local, remote);
        _initialContactReceived = message.Notify(NotifyMessageType.InitialContact) is not null;
        EndOfExchange(_phase1);
        _step = 3;
        Established(now);
        return true;
    }

    /// <summary>The initiator's ID payload body as it sent it in Aggressive Mode (IDii_b), kept for HASH_I.</summary>
    private byte[]? IdiBody { get; set; }

    private void Established(DateTimeOffset now)
    {
        State = IsakmpSaState.Established;
        EstablishedAt = now;
        _halfOpenDeadline = null;
        _v1.LeftHalfOpen(this);
        _lastPhase1Block = _iv;
        Ikev1Log.Established(Log, Name, Uid, _exchangeName, LocalEndpoint, LocalId?.ToString() ?? "-", RemoteEndpoint, RemoteId?.ToString() ?? "-",
            _choice!.ToString(), Lifetime == TimeSpan.Zero ? "unlimited" : $"{Lifetime.TotalSeconds:0} s", InitiatorCookie, ResponderCookie);
        StartKeepalives(now);
        ScheduleLifetimes(now);
        if (_initialContactReceived) HandleInitialContact(now);
        // XAUTH and Mode Config come first: Quick Mode waits for the user and the virtual IP.
        StartTransactions(now);
        if (State == IsakmpSaState.Deleted || TransactionsPending) return;
        // Our Aggressive Mode message 3 is unacknowledged: a Quick Mode right behind it can overtake it in the
        // responder (strongSwan then ignores it "while phase 1 is incomplete" and we lose a retransmission timeout).
        if (Mode == Phase1Mode.Aggressive && IsInitiator && _pending.Count > 0) _quickModesAt = now + AggressiveModeSettle;
        else StartPendingQuickModes(now);
    }

    /// <summary>How long the Aggressive Mode initiator gives its last message before the first Quick Mode.</summary>
    private static readonly TimeSpan AggressiveModeSettle = TimeSpan.FromMilliseconds(250);

    private DateTimeOffset? _quickModesAt;

    private void StartPendingQuickModes(DateTimeOffset now)
    {
        _quickModesAt = null;
        while (_pending.TryDequeue(out var p)) StartQuickMode(now, p.Config, p.Replaces);
    }

    /// <summary>
    /// Phase 1 failed on the peer's message: the reason is logged, the peer is told with an unprotected notify (it
    /// has no keys in common with us to read another), and the SA goes.
    /// </summary>
    private void Fail(DateTimeOffset now, IsakmpHeader header, string reason, NotifyMessageType notify)
    {
        IkeLog.SaWarning(Log, Name, Uid, $"{_exchangeName}: {reason}; sending {notify.RfcName()}");
        _v1.SendNotify(LocalEndpoint, RemoteEndpoint, header with { ResponderCookie = ResponderCookie == 0 ? header.ResponderCookie : ResponderCookie }, notify);
        Remove(now, reason);
    }

    /// <summary>
    /// The peer's hash or identity is wrong. The notify goes protected under our keys, as strongSwan sends it and
    /// accepts it: a peer with the same PSK reads it, one with another PSK could read nothing we send anyway.
    /// </summary>
    private void AuthenticationFailed(DateTimeOffset now, IsakmpHeader header, string reason, Identity? peerId = null)
    {
        Ikev1Log.PeerAuthenticationFailed(Log, Name, Uid, peerId?.ToString() ?? RemoteId?.ToString() ?? RemoteEndpoint.Address.ToString(), $"{reason} (AUTHENTICATION-FAILED)");
        if (_encryption is not null) SendInformational(now, [NotificationPayload.ForIsakmpSa(NotifyMessageType.AuthenticationFailed, InitiatorCookie, ResponderCookie)]);
        else _v1.SendNotify(LocalEndpoint, RemoteEndpoint, header, NotifyMessageType.AuthenticationFailed);
        Remove(now, reason);
    }
}
