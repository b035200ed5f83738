using System.Globalization;
using System.Text;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.Crypto;

/// <summary>
/// The Message of an MS-CHAPv2 Success packet (RFC 2759 §5): <c>S=&lt;40 hex digits&gt; M=&lt;text&gt;</c>, the
/// authenticator's proof that it knows the password too. The same text travels in PPP and in EAP-MSCHAPv2.
/// </summary>
/// <param name="AuthenticatorResponse">The <c>S=</c> part, as <see cref="MsChapV2.GenerateAuthenticatorResponse(string, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, string)"/> makes it.</param>
/// <param name="Text">The human-readable <c>M=</c> part, if any.</param>
public sealed record MsChapV2SuccessMessage(string AuthenticatorResponse, string? Text)
{
    /// <summary>The message as sent.</summary>
    public string Format() => Text is null ? AuthenticatorResponse : $"{AuthenticatorResponse} M={Text}";

    /// <summary>
    /// Parses a peer's Success message. A trailing NUL (strongSwan sends one) is dropped; <c>M=</c> runs to the end,
    /// spaces included.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out MsChapV2SuccessMessage? parsed, out ParseError error)
    {
        parsed = null;
        error = default;
        string? auth = null, text = null;
        foreach ((string key, string value) in MsChapV2MessageText.Fields(message))
        {
            if (key == "S") auth = "S=" + value;
            else if (key == "M") text = value;
        }
        if (auth is null) { error = new("Message", "Success message without S="); return false; }
        if (!MsChapV2.TryDecodeAuthenticatorResponse(auth, out _)) { error = new("Message", "S= is not 40 hexadecimal digits"); return false; }
        parsed = new MsChapV2SuccessMessage(auth, text);
        return true;
    }
}

/// <summary>
/// The Message of an MS-CHAPv2 Failure packet (RFC 2759 §6):
/// <c>E=&lt;error&gt; R=&lt;retry&gt; C=&lt;32 hex digits&gt; V=&lt;version&gt; M=&lt;text&gt;</c>.
/// </summary>
/// <param name="Error">The Windows error code (691 for a wrong password).</param>
/// <param name="Retry">R=1: the authenticator accepts another Response to the new challenge.</param>
/// <param name="Challenge">C=: the 16-byte challenge for a retry or a password change, if present.</param>
/// <param name="Version">V=: the password-change protocol version (3 for MS-CHAPv2), if present.</param>
/// <param name="Text">M=: human-readable text, if present.</param>
public sealed record MsChapV2FailureMessage(int Error, bool Retry, byte[]? Challenge, int? Version, string? Text)
{
    /// <summary>ERROR_RESTRICTED_LOGON_HOURS.</summary>
    public const int RestrictedLogonHours = 646;
    /// <summary>ERROR_ACCT_DISABLED.</summary>
    public const int AccountDisabled = 647;
    /// <summary>ERROR_PASSWD_EXPIRED.</summary>
    public const int PasswordExpired = 648;
    /// <summary>ERROR_NO_DIALIN_PERMISSION.</summary>
    public const int NoDialinPermission = 649;
    /// <summary>ERROR_AUTHENTICATION_FAILURE.</summary>
    public const int AuthenticationFailure = 691;
    /// <summary>ERROR_CHANGING_PASSWORD.</summary>
    public const int ChangingPassword = 709;

    /// <summary>The message as sent.</summary>
    public string Format()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"E={Error} R={(Retry ? 1 : 0)}");
        if (Challenge is not null) s.Append(" C=").Append(Convert.ToHexString(Challenge));
        if (Version is int v) s.Append(CultureInfo.InvariantCulture, $" V={v}");
        if (Text is not null) s.Append(" M=").Append(Text);
        return s.ToString();
    }

    /// <summary>RFC 2759's name of an error code (<c>ERROR_AUTHENTICATION_FAILURE</c>), or the number.</summary>
    public static string ErrorName(int error) => error switch
    {
        RestrictedLogonHours => "ERROR_RESTRICTED_LOGON_HOURS",
        AccountDisabled => "ERROR_ACCT_DISABLED",
        PasswordExpired => "ERROR_PASSWD_EXPIRED",
        NoDialinPermission => "ERROR_NO_DIALIN_PERMISSION",
        AuthenticationFailure => "ERROR_AUTHENTICATION_FAILURE",
        ChangingPassword => "ERROR_CHANGING_PASSWORD",
        _ => error.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Parses a peer's Failure message; E= is required, the other fields are optional.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out MsChapV2FailureMessage? parsed, out ParseError error)
    {
        parsed = null;
        error = default;
        int? code = null, version = null;
        bool retry = false;
        byte[]? challenge = null;
        string? text = null;
        foreach ((string key, string value) in MsChapV2MessageText.Fields(message))
        {
            switch (key)
            {
                case "E":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int e)) { error = new("Message", $"E={value} is not a number"); return false; }
                    code = e;
                    break;
                case "R":
                    retry = value == "1";
                    break;
                case "C":
                    if (value.Length != 2 * MsChapV2.ChallengeLength || !value.All(char.IsAsciiHexDigit))
                    {
                        error = new("Message", "C= is not 32 hexadecimal digits");
                        return false;
                    }
                    challenge = Convert.FromHexString(value);
                    break;
                case "V":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v)) version = v;
                    break;
                case "M":
                    text = value;
                    break;
            }
        }
        if (code is null) { error = new("Message", "Failure message without E="); return false; }
        parsed = new MsChapV2FailureMessage(code.Value, retry, challenge, version, text);
        return true;
    }
}

/// <summary>Splits MS-CHAPv2 message text into <c>X=value</c> fields.</summary>
internal static class MsChapV2MessageText
{
    /// <summary>
    /// The fields in order. Text is decoded as UTF-8 with trailing NULs dropped and control characters shown as '?';
    /// <c>M=</c> takes the rest of the text, spaces included (RFC 2759 puts it last).
    /// </summary>
    public static IEnumerable<(string Key, string Value)> Fields(ReadOnlySpan<byte> message)
    {
        while (message.Length > 0 && message[^1] == 0) message = message[..^1];
        var chars = Encoding.UTF8.GetString(message).ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (char.IsControl(chars[i])) chars[i] = '?';
        return Split(new string(chars));
    }

    private static IEnumerable<(string, string)> Split(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == ' ') { i++; continue; }
            if (i + 1 < text.Length && text[i + 1] == '=' && text[i] == 'M')
            {
                yield return ("M", text[(i + 2)..]);
                yield break;
            }
            int end = text.IndexOf(' ', i);
            if (end < 0) end = text.Length;
            string token = text[i..end];
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) yield return (token[..eq], token[(eq + 1)..]);
            i = end;
        }
    }
}
