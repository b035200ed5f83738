using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Portcullis.Core.Config;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Pools;

namespace Portcullis.Core.Ikev1;

/// <summary>
/// The Transaction exchange after phase 1: XAUTH (draft-beaulieu-ike-xauth) and Mode Config
/// (draft-dukes-ike-mode-cfg), as the Cisco IPsec client of iOS and macOS and strongSwan use them.
/// <para>
/// Each exchange is a pair of messages with its own message ID and IV chain, like a Quick Mode, and each message
/// carries HASH = prf(SKEYID_a, M-ID | Attribute payload) and one Attribute payload. XAUTH is the server's to start
/// (whichever side began phase 1): REQUEST for a user name and password, the client's REPLY, then SET with
/// XAUTH-STATUS and the client's ACK. Mode Config follows: the client's REQUEST and the gateway's REPLY (pull), or the
/// gateway's SET and the client's ACK (push, <c>pull = no</c>). Quick Mode waits for both: the gateway refuses it
/// before XAUTH, and a client starts it only with its virtual IP.
/// </para>
/// </summary>
public sealed partial class IsakmpSa
{
    private readonly Dictionary<uint, Transaction> _transactions = [];
    private readonly List<Lease> _leases = [];
    private bool _xauthDone, _modeConfigDone;
    private DateTimeOffset? _transactionDeadline;

    /// <summary>How long a client waits for the gateway to start XAUTH or to push Mode Config.</summary>
    private static readonly TimeSpan TransactionWait = TimeSpan.FromSeconds(30);

    private enum TransactionKind
    {
        /// <summary>XAUTH REQUEST and REPLY.</summary>
        Xauth,
        /// <summary>XAUTH SET (XAUTH-STATUS) and ACK.</summary>
        XauthStatus,
        /// <summary>Mode Config REQUEST and REPLY (pull).</summary>
        ModeConfigPull,
        /// <summary>Mode Config SET and ACK (push).</summary>
        ModeConfigPush,
    }

    private sealed class Transaction : Phase2Exchange
    {
        public required TransactionKind Kind;
        public ushort Identifier;
        public string? User;
        public bool Accepted;
    }

    /// <summary>The XAUTH user name that passed: the peer's when we are the gateway, ours when we are the client.</summary>
    public string? XauthUser { get; private set; }

    /// <summary>Virtual IPs the gateway gave us by Mode Config.</summary>
    public IReadOnlyList<IPAddress> LocalVirtualIps { get; private set; } = [];

    /// <summary>Virtual IPs we gave the peer from a pool.</summary>
    public IReadOnlyList<IPAddress> RemoteVirtualIps { get; private set; } = [];

    /// <summary>DNS servers the gateway sent with our virtual IP.</summary>
    public IReadOnlyList<IPAddress> ReceivedDns { get; private set; } = [];

    private bool XauthServer => Connection.RemoteXauth is not null;

    private bool XauthClient => Connection.LocalXauth is not null;

    /// <summary>XAUTH or Mode Config still to come: Quick Modes wait.</summary>
    private bool TransactionsPending => State == IsakmpSaState.Established && (!_xauthDone || !_modeConfigDone);

    /// <summary>Phase 1 is up: the XAUTH server asks for credentials, others wait or go on to Mode Config.</summary>
    private void StartTransactions(DateTimeOffset now)
    {
        _xauthDone = !XauthServer && !XauthClient;
        _modeConfigDone = Connection.Vips.Count == 0 && (Connection.Pools.Count == 0 || Connection.Pull);
        if (XauthServer) StartXauth(now);
        else if (XauthClient) _transactionDeadline = now + TransactionWait;
        else AfterXauth(now);
    }

    /// <summary>XAUTH passed (or there is none): Mode Config, then the Quick Modes.</summary>
    private void AfterXauth(DateTimeOffset now)
    {
        _transactionDeadline = null;
        if (Connection.Vips.Count > 0)
        {
            if (Connection.Pull) RequestModeConfig(now);
            else _transactionDeadline = now + TransactionWait;
        }
        else if (Connection.Pools.Count > 0 && !Connection.Pull) PushModeConfig(now);
        else TransactionsFinished(now);
    }

    private void TransactionsFinished(DateTimeOffset now)
    {
        _xauthDone = _modeConfigDone = true;
        _transactionDeadline = null;
        if (State == IsakmpSaState.Established && _pending.Count > 0) StartPendingQuickModes(now);
    }

    // --- Messages ---

    private Transaction NewTransaction(TransactionKind kind)
    {
        uint mid = NewMessageId();
        var t = new Transaction
        {
            Name = "TRANSACTION",
            MessageId = mid,
            Initiator = true,
            Kind = kind,
            Iv = Ikev1Hashes.Phase2Iv(Hash, _lastPhase1Block, mid, _encryption!.BlockSize),
            Identifier = (ushort)_v1.RandomMessageId(),
        };
        _transactions[mid] = t;
        return t;
    }

    /// <summary>Sends HASH and the Attribute payload; a message that ends its exchange is kept only to answer repeats.</summary>
    private void SendTransaction(DateTimeOffset now, Transaction t, AttributePayload attributes, bool awaitReply)
    {
        byte[] hash = Ikev1Hashes.Hash1(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, t.MessageId, IsakmpPayload.EncodeChain([attributes]));
        Send(now, t, EncodePhase2(t, IsakmpExchangeType.Transaction, [new HashPayload(hash), attributes]), awaitReply);
        if (awaitReply) return;
        t.Done = true;
        t.LingerUntil = now + QuickModeLinger;
    }

    private void HandleTransaction(DateTimeOffset now, IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint local, IPEndPoint remote)
    {
        if (!header.IsEncrypted) { Dropped(header, remote, "Transaction message not encrypted"); return; }
        uint mid = header.MessageId;
        if (_transactions.TryGetValue(mid, out Transaction? t))
        {
            if (IsRepeat(t, datagram, local, remote)) return;
            if (t.Done || !t.Initiator) { Dropped(header, remote, "Transaction exchange already complete"); return; }
            if (ReadTransaction(header, datagram, remote, t.Iv, out IsakmpMessage? m, out AttributePayload? answer, out byte[] nextIv) is not true) return;
            LogMessage("received", IsakmpExchangeType.Transaction, mid, m!.Payloads, local, remote, exchangeInitiator: true);
            t.Iv = nextIv;
            t.LastReceived = datagram.ToArray();
            EndOfExchange(t);
            t.Done = true;
            t.LingerUntil = now + QuickModeLinger;
            _lastInbound = now;
            switch (t.Kind)
            {
                case TransactionKind.Xauth: XauthReplied(now, t, answer!); break;
                case TransactionKind.XauthStatus: XauthAcknowledged(now, t, answer!); break;
                case TransactionKind.ModeConfigPull: ModeConfigReplied(now, answer!); break;
                case TransactionKind.ModeConfigPush: ModeConfigAcknowledged(now, answer!); break;
            }
            return;
        }
        if (!_usedMessageIds.Add(mid)) { Dropped(header, remote, "message ID of an earlier exchange"); return; }
        byte[] iv = Ikev1Hashes.Phase2Iv(Hash, _lastPhase1Block, mid, _encryption!.BlockSize);
        if (ReadTransaction(header, datagram, remote, iv, out IsakmpMessage? message, out AttributePayload? request, out byte[] next) is not true)
        {
            _usedMessageIds.Remove(mid);
            return;
        }
        LogMessage("received", IsakmpExchangeType.Transaction, mid, message!.Payloads, local, remote, exchangeInitiator: false);
        _lastInbound = now;
        bool xauth = request!.Attributes.Any(a => ((ModeConfigAttributeType)a.Type).IsXauth());
        TransactionKind? kind = (request.MessageType, xauth) switch
        {
            (AttributeMessageType.Request, true) => TransactionKind.Xauth,
            (AttributeMessageType.Set, true) => TransactionKind.XauthStatus,
            (AttributeMessageType.Request, false) => TransactionKind.ModeConfigPull,
            (AttributeMessageType.Set, false) => TransactionKind.ModeConfigPush,
            _ => null,
        };
        string? refusal = kind switch
        {
            null => $"a {request.MessageType.ToString().ToUpperInvariant()} that answers nothing we sent",
            TransactionKind.Xauth or TransactionKind.XauthStatus when XauthServer => "XAUTH from the peer, but we are the XAUTH server",
            TransactionKind.ModeConfigPull when XauthServer && XauthUser is null => "Mode Config request before XAUTH completed",
            TransactionKind.ModeConfigPull when Connection.Vips.Count > 0 => "Mode Config request to a client (vips is set)",
            TransactionKind.ModeConfigPush when Connection.Pools.Count > 0 => "Mode Config SET to a gateway (pools is set)",
            _ => null,
        };
        if (refusal is not null)
        {
            Dropped(header, remote, refusal);
            return;
        }
        var responder = new Transaction
        {
            Name = "TRANSACTION",
            MessageId = mid,
            Initiator = false,
            Kind = kind!.Value,
            Iv = next,
            Identifier = request.Identifier,
            LastReceived = datagram.ToArray(),
        };
        _transactions[mid] = responder;
        switch (kind)
        {
            case TransactionKind.Xauth: AnswerXauth(now, responder, request); break;
            case TransactionKind.XauthStatus: AnswerXauthStatus(now, responder, request); break;
            case TransactionKind.ModeConfigPull: AnswerModeConfigRequest(now, responder, request); break;
            case TransactionKind.ModeConfigPush: AnswerModeConfigSet(now, responder, request); break;
        }
    }

    /// <summary>Decrypts and authenticates a Transaction message; null (dropped with the reason) when it is not one.</summary>
    private bool? ReadTransaction(IsakmpHeader header, ReadOnlySpan<byte> datagram, IPEndPoint remote, byte[] iv, out IsakmpMessage? message,
        out AttributePayload? attributes, out byte[] nextIv)
    {
        attributes = null;
        if (!DecodePhase2(header, datagram, remote, iv, out message, out nextIv)) return null;
        if (!HashIs(message!, Ikev1Hashes.Hash1(_choice!.Prf, _keys!.SkeyIdA.ReadOnlySpan, header.MessageId, message!.AfterFirst)))
        {
            Dropped(header, remote, "invalid HASH in Transaction message");
            return null;
        }
        attributes = message.Get<AttributePayload>();
        if (attributes is null)
        {
            Dropped(header, remote, "Transaction message without an Attribute payload");
            return null;
        }
        return true;
    }

    private void HandleTransactionTimeouts(DateTimeOffset now)
    {
        foreach (Transaction t in _transactions.Values.ToArray())
        {
            if (State == IsakmpSaState.Deleted) return;
            if (t.AwaitingReply && now >= t.NextRetransmit && !Retransmit(now, t, t.MessageId))
            {
                _transactions.Remove(t.MessageId);
                string what = t.Kind switch
                {
                    TransactionKind.Xauth => "XAUTH request",
                    TransactionKind.XauthStatus => "XAUTH status",
                    TransactionKind.ModeConfigPull => "Mode Config request",
                    _ => "Mode Config SET",
                };
                if (t.Kind == TransactionKind.XauthStatus && !t.Accepted) Delete(now, $"XAUTH of '{t.User}' failed");
                else Delete(now, $"no answer to our {what} after {t.Tries} retransmits");
            }
            else if (!t.AwaitingReply && t.Done && now >= t.LingerUntil) _transactions.Remove(t.MessageId);
        }
        if (State != IsakmpSaState.Deleted && _transactionDeadline is { } deadline && now >= deadline)
        {
            _transactionDeadline = null;
            Delete(now, !_xauthDone
                ? $"the gateway did not start XAUTH within {TransactionWait.TotalSeconds:0} s (does its connection have remote-2 {{ auth = xauth }}?)"
                : $"the gateway pushed no virtual IP within {TransactionWait.TotalSeconds:0} s (pull = no here: does it push?)");
        }
    }

    /// <summary>The SA goes: no more transactions; leases go back to the pools and our virtual IPs come off the TUN device.</summary>
    private void EndTransactions()
    {
        _transactions.Clear();
        _transactionDeadline = null;
        foreach (Lease lease in _leases) _v1.Main.Pools.Release(lease);
        _leases.Clear();
        foreach (IPAddress vip in LocalVirtualIps) _v1.Main.Emit(new LocalVirtualIpReleased(this, vip));
    }

    // --- XAUTH, gateway (server) side ---

    private void StartXauth(DateTimeOffset now)
    {
        Transaction t = NewTransaction(TransactionKind.Xauth);
        Ikev1Log.Info(Log, Name, Uid, $"asking '{RemoteId}' for XAUTH credentials");
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Request, t.Identifier,
            [DataAttribute.Variable((ushort)ModeConfigAttributeType.XauthUserName, []), DataAttribute.Variable((ushort)ModeConfigAttributeType.XauthUserPassword, [])]),
            awaitReply: true);
    }

    /// <summary>
    /// The client's user name and password: checked against the xauth- and eap- secrets (strongSwan keeps both as one
    /// kind), in constant time. Either way XAUTH-STATUS goes in a SET; a failure ends the SA once it is acknowledged.
    /// </summary>
    private void XauthReplied(DateTimeOffset now, Transaction request, AttributePayload reply)
    {
        DataAttribute? name = reply.MessageType == AttributeMessageType.Reply ? reply.Find(ModeConfigAttributeType.XauthUserName) : null;
        DataAttribute? password = reply.MessageType == AttributeMessageType.Reply ? reply.Find(ModeConfigAttributeType.XauthUserPassword) : null;
        string user = name is { } n ? Encoding.UTF8.GetString(n.VariableValue) : RemoteId?.ToString() ?? "-";
        string? problem = null;
        if (name is null || password is null) problem = $"the peer's {reply.MessageType.ToString().ToUpperInvariant()} holds no user name or password";
        else if (user.Any(char.IsControl) || user.Length > 255)
        {
            // Not a user anyone configured, and not to be written into the log as it came.
            problem = "the user name holds control characters or is too long";
            user = Printable(name.Value.VariableValue);
        }
        else if (Connection.RemoteXauth!.XauthId is { } only && only != user) problem = $"user '{user}' is not the configured xauth_id '{only}'";
        else
        {
            ReadOnlySpan<byte> given = password.Value.VariableValue;
            // Some clients (Android) end the password with a NUL.
            if (given.Length > 0 && given[^1] == 0) given = given[..^1];
            EapSecret? secret = _v1.Main.Config.FindEapSecret(user);
            if (secret is null) problem = "no xauth- or eap- secret for this user";
            else if (!CryptographicOperations.FixedTimeEquals(secret.Secret, given)) problem = "wrong password";
        }
        bool ok = problem is null;
        if (ok) Ikev1Log.XauthSucceeded(Log, Name, Uid, user, RemoteEndpoint);
        else Ikev1Log.XauthFailed(Log, Name, Uid, user, RemoteEndpoint, problem!);
        Transaction status = NewTransaction(TransactionKind.XauthStatus);
        status.User = user;
        status.Accepted = ok;
        SendTransaction(now, status, new AttributePayload(AttributeMessageType.Set, status.Identifier,
            [DataAttribute.Basic((ushort)ModeConfigAttributeType.XauthStatus, ok ? (ushort)1 : (ushort)0)]), awaitReply: true);
    }

    private void XauthAcknowledged(DateTimeOffset now, Transaction set, AttributePayload ack)
    {
        if (ack.MessageType != AttributeMessageType.Ack)
            IkeLog.SaWarning(Log, Name, Uid, $"XAUTH: expected an ACK of our status, got a {ack.MessageType.ToString().ToUpperInvariant()}");
        if (!set.Accepted)
        {
            Delete(now, $"XAUTH of '{set.User}' failed");
            return;
        }
        XauthUser = set.User;
        _xauthDone = true;
        // With a group PSK many users share one IKE identity: only now can a peer's INITIAL-CONTACT be matched to its user.
        if (_initialContactReceived) HandleInitialContact(now);
        if (State == IsakmpSaState.Deleted) return;
        AfterXauth(now);
    }

    // --- XAUTH, client side ---

    /// <summary>The gateway asks for credentials: our xauth_id and its secret, for the attributes it asked for.</summary>
    private void AnswerXauth(DateTimeOffset now, Transaction t, AttributePayload request)
    {
        _transactionDeadline = null;
        if (request.Find(ModeConfigAttributeType.XauthMessage) is { } message)
            Ikev1Log.Info(Log, Name, Uid, $"XAUTH message from the gateway: {Printable(message.VariableValue)}");
        var answer = new List<DataAttribute>();
        string user = Connection.LocalXauth?.XauthId ?? LocalId?.ToString() ?? "";
        EapSecret? secret = XauthClient ? _v1.Main.Config.FindEapSecret(user) : null;
        string? problem = !XauthClient ? "the gateway asks for XAUTH credentials, but the connection has no local-2 { auth = xauth } round"
            : request.Find(ModeConfigAttributeType.XauthType) is { NumericValue: { } type } && type != 0 ? $"the gateway asks for XAUTH type {type}; only generic (0, user name and password) is supported"
            : secret is null ? $"no xauth- or eap- secret for XAUTH user '{user}'"
            : null;
        if (problem is not null)
        {
            // An empty REPLY: the gateway fails us and says so, rather than waiting for an answer that never comes.
            IkeLog.SaWarning(Log, Name, Uid, $"{problem}; sending an empty XAUTH reply");
        }
        else
        {
            foreach (DataAttribute a in request.Attributes)
            {
                switch ((ModeConfigAttributeType)a.Type)
                {
                    case ModeConfigAttributeType.XauthUserName: answer.Add(DataAttribute.Variable(a.Type, Encoding.UTF8.GetBytes(user))); break;
                    case ModeConfigAttributeType.XauthUserPassword: answer.Add(DataAttribute.Variable(a.Type, secret!.Secret)); break;
                    case ModeConfigAttributeType.XauthType: answer.Add(a); break;
                }
            }
            Ikev1Log.Info(Log, Name, Uid, $"answering the gateway's XAUTH request as '{user}'");
            t.User = user;
        }
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Reply, request.Identifier, answer), awaitReply: false);
        if (!_xauthDone) _transactionDeadline = now + TransactionWait;
    }

    /// <summary>The gateway's verdict: acknowledged either way; a failure ends the SA here (the gateway deletes it too).</summary>
    private void AnswerXauthStatus(DateTimeOffset now, Transaction t, AttributePayload set)
    {
        ulong? status = set.Find(ModeConfigAttributeType.XauthStatus)?.NumericValue;
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Ack, set.Identifier,
            [DataAttribute.Variable((ushort)ModeConfigAttributeType.XauthStatus, [])]), awaitReply: false);
        string user = Connection.LocalXauth?.XauthId ?? LocalId?.ToString() ?? "-";
        if (status != 1 || !XauthClient)
        {
            IkeLog.SaWarning(Log, Name, Uid, $"the gateway refused XAUTH of '{user}' (XAUTH_STATUS {status?.ToString() ?? "missing"}): wrong password or unknown user?");
            Remove(now, $"XAUTH of '{user}' refused by the gateway");
            return;
        }
        if (_xauthDone) return; // a second SET with OK changes nothing
        Ikev1Log.Info(Log, Name, Uid, $"XAUTH authentication of '{user}' (myself) successful");
        XauthUser = user;
        _xauthDone = true;
        AfterXauth(now);
    }

    // --- Mode Config, client side ---

    /// <summary>Pull: ask for an address of each configured family (our old one after reauthentication) and DNS.</summary>
    private void RequestModeConfig(DateTimeOffset now)
    {
        Transaction t = NewTransaction(TransactionKind.ModeConfigPull);
        var asked = new List<DataAttribute>();
        foreach (IPAddress vip in Connection.Vips)
        {
            IPAddress wanted = _reauthOf?.LocalVirtualIps.FirstOrDefault(a => a.AddressFamily == vip.AddressFamily) ?? vip;
            bool v4 = vip.AddressFamily == AddressFamily.InterNetwork;
            byte[] value = wanted.Equals(IPAddress.Any) || wanted.Equals(IPAddress.IPv6Any) ? [] : v4 ? wanted.GetAddressBytes() : [.. wanted.GetAddressBytes(), 128];
            asked.Add(DataAttribute.Variable((ushort)(v4 ? ModeConfigAttributeType.InternalIp4Address : ModeConfigAttributeType.InternalIp6Address), value));
            asked.Add(DataAttribute.Variable((ushort)(v4 ? ModeConfigAttributeType.InternalIp4Dns : ModeConfigAttributeType.InternalIp6Dns), []));
        }
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Request, t.Identifier, asked), awaitReply: true);
    }

    private void ModeConfigReplied(DateTimeOffset now, AttributePayload reply)
    {
        if (TakeVirtualIps(now, reply)) TransactionsFinished(now);
    }

    /// <summary>Push: the gateway's SET, acknowledged with the types we took.</summary>
    private void AnswerModeConfigSet(DateTimeOffset now, Transaction t, AttributePayload set)
    {
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Ack, set.Identifier,
            set.Attributes.Select(a => DataAttribute.Variable(a.Type, [])).Distinct().ToList()), awaitReply: false);
        if (_modeConfigDone && LocalVirtualIps.Count > 0) return;
        // A SET answers our own outstanding REQUEST as well.
        foreach (Transaction pull in _transactions.Values.Where(x => x.Kind == TransactionKind.ModeConfigPull && !x.Done).ToArray()) _transactions.Remove(pull.MessageId);
        if (TakeVirtualIps(now, set)) TransactionsFinished(now);
    }

    /// <summary>Our virtual IPs and DNS servers from a REPLY or SET; false (and the SA gone) when there is no address.</summary>
    private bool TakeVirtualIps(DateTimeOffset now, AttributePayload attributes)
    {
        var addresses = new List<IPAddress>();
        var dns = new List<IPAddress>();
        foreach (DataAttribute a in attributes.Attributes)
        {
            ReadOnlySpan<byte> v = a.VariableValue;
            switch ((ModeConfigAttributeType)a.Type)
            {
                case ModeConfigAttributeType.InternalIp4Address when v.Length == 4: addresses.Add(new IPAddress(v)); break;
                case ModeConfigAttributeType.InternalIp6Address when v.Length == 17: addresses.Add(new IPAddress(v[..16])); break;
                case ModeConfigAttributeType.InternalIp4Dns when v.Length == 4: dns.Add(new IPAddress(v)); break;
                case ModeConfigAttributeType.InternalIp6Dns when v.Length == 16: dns.Add(new IPAddress(v)); break;
            }
        }
        if (addresses.Count == 0)
        {
            IkeLog.SaWarning(Log, Name, Uid, $"the gateway's Mode Config {attributes.MessageType.ToString().ToUpperInvariant()} holds no virtual IP (its pool exhausted?)");
            Delete(now, "no virtual IP from the gateway");
            return false;
        }
        LocalVirtualIps = addresses;
        ReceivedDns = dns;
        IkeLog.VirtualIpReceived(Log, Name, Uid, string.Join(", ", addresses), dns.Count > 0 ? string.Join(", ", dns) : "none");
        foreach (IPAddress vip in addresses) _v1.Main.Emit(new LocalVirtualIpAssigned(this, vip));
        return true;
    }

    // --- Mode Config, gateway side ---

    /// <summary>Pull: the client's REQUEST gets addresses from the connection's pools and the pools' DNS and NBNS servers.</summary>
    private void AnswerModeConfigRequest(DateTimeOffset now, Transaction t, AttributePayload request)
    {
        var asked = new List<(AddressFamily Family, IPAddress? Wanted)>();
        foreach (DataAttribute a in request.Attributes)
        {
            ReadOnlySpan<byte> v = a.VariableValue;
            if (a.Type == (ushort)ModeConfigAttributeType.InternalIp4Address) asked.Add((AddressFamily.InterNetwork, v.Length == 4 ? new IPAddress(v) : null));
            else if (a.Type == (ushort)ModeConfigAttributeType.InternalIp6Address) asked.Add((AddressFamily.InterNetworkV6, v.Length == 17 ? new IPAddress(v[..16]) : null));
        }
        bool netmask = request.Find(ModeConfigAttributeType.InternalIp4Netmask) is not null;
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Reply, request.Identifier, VirtualIpAttributes(asked, netmask)), awaitReply: false);
        _modeConfigDone = true;
    }

    /// <summary>Push (<c>pull = no</c>): an IPv4 address and the pool's servers in a SET.</summary>
    private void PushModeConfig(DateTimeOffset now)
    {
        List<DataAttribute> attributes = VirtualIpAttributes([(AddressFamily.InterNetwork, null)], netmask: false);
        if (_leases.Count == 0)
        {
            // Nothing to push: the client will have no address, and its Quick Mode decides what that means.
            TransactionsFinished(now);
            return;
        }
        Transaction t = NewTransaction(TransactionKind.ModeConfigPush);
        SendTransaction(now, t, new AttributePayload(AttributeMessageType.Set, t.Identifier, attributes), awaitReply: true);
    }

    private void ModeConfigAcknowledged(DateTimeOffset now, AttributePayload ack)
    {
        if (ack.MessageType != AttributeMessageType.Ack)
            IkeLog.SaWarning(Log, Name, Uid, $"Mode Config: expected an ACK of our SET, got a {ack.MessageType.ToString().ToUpperInvariant()}");
        TransactionsFinished(now);
    }

    /// <summary>
    /// Leases for the families asked (the client's old address when it names one and may have it, as after a
    /// reauthentication), for its XAUTH user or else its IKE identity; the attributes of the answer. A pool without a
    /// free address leaves the address out, as strongSwan does, and the log says so.
    /// </summary>
    private List<DataAttribute> VirtualIpAttributes(List<(AddressFamily Family, IPAddress? Wanted)> asked, bool netmask)
    {
        var attributes = new List<DataAttribute>();
        if (Connection.Pools.Count == 0)
        {
            if (asked.Count > 0) IkeLog.SaWarning(Log, Name, Uid, "the peer asks for a virtual IP, but the connection has no pools");
            return attributes;
        }
        string identity = XauthUser ?? RemoteId?.ToString() ?? RemoteEndpoint.Address.ToString();
        foreach ((AddressFamily family, IPAddress? wanted) in asked)
        {
            if (_leases.Any(l => l.Address.AddressFamily == family)) continue; // asked again on this SA: the same address
            Lease? lease = _v1.Main.Pools.Acquire(Connection.Pools, identity, family, wanted, RemoteEndpoint);
            if (lease is null)
            {
                IkeLog.SaWarning(Log, Name, Uid, $"no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address left in pools {string.Join(", ", Connection.Pools)} for '{identity}'; answering without one");
                continue;
            }
            _leases.Add(lease);
        }
        if (_leases.Count == 0) return attributes;
        RemoteVirtualIps = _leases.Select(l => l.Address).ToArray();
        IkeLog.VirtualIpAssigned(Log, Name, Uid, string.Join(", ", RemoteVirtualIps), identity);
        foreach (Lease l in _leases)
        {
            bool v4 = l.Address.AddressFamily == AddressFamily.InterNetwork;
            attributes.Add(DataAttribute.Variable((ushort)(v4 ? ModeConfigAttributeType.InternalIp4Address : ModeConfigAttributeType.InternalIp6Address),
                v4 ? l.Address.GetAddressBytes() : [.. l.Address.GetAddressBytes(), 64]));
            if (v4 && netmask) attributes.Add(DataAttribute.Variable((ushort)ModeConfigAttributeType.InternalIp4Netmask, [255, 255, 255, 255]));
        }
        // A pool's servers go with an address from it (as for IKEv2), each once.
        var servers = new HashSet<(ModeConfigAttributeType, IPAddress)>();
        foreach (string pool in _leases.Select(l => l.Pool).Distinct())
        {
            foreach (IPAddress dns in _v1.Main.Pools.Dns(pool))
                servers.Add((dns.AddressFamily == AddressFamily.InterNetwork ? ModeConfigAttributeType.InternalIp4Dns : ModeConfigAttributeType.InternalIp6Dns, dns));
            foreach (IPAddress nbns in _v1.Main.Pools.Nbns(pool).Where(a => a.AddressFamily == AddressFamily.InterNetwork))
                servers.Add((ModeConfigAttributeType.InternalIp4Nbns, nbns));
        }
        foreach ((ModeConfigAttributeType type, IPAddress address) in servers) attributes.Add(DataAttribute.Variable((ushort)type, address.GetAddressBytes()));
        return attributes;
    }

    /// <summary>Peer-supplied text for a log line: printable ASCII only, at most 64 characters.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var s = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, 64)]) s.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        return s.ToString();
    }
}
