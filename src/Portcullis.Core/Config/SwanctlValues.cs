using System.Globalization;
using System.Text;

namespace Portcullis.Core.Config;

/// <summary>The value syntaxes of swanctl.conf: lists, booleans, durations, ports and secrets, as strongSwan reads them.</summary>
public static class SwanctlValues
{
    /// <summary>Splits a comma-separated list, trimming whitespace around items; empty items are reported.</summary>
    public static bool TrySplitList(string value, out IReadOnlyList<string> items, out string? error)
    {
        var list = new List<string>();
        foreach (string raw in value.Split(','))
        {
            string item = raw.Trim();
            if (item.Length == 0)
            {
                items = [];
                error = $"empty element in list '{value}'";
                return false;
            }
            list.Add(item);
        }
        items = list;
        error = null;
        return true;
    }

    /// <summary>strongSwan's booleans: <c>yes</c>/<c>true</c>/<c>enabled</c>/<c>1</c> and <c>no</c>/<c>false</c>/<c>disabled</c>/<c>0</c>.</summary>
    public static bool TryParseBool(string value, out bool result, out string? error)
    {
        error = null;
        switch (value.ToLowerInvariant())
        {
            case "yes" or "true" or "enabled" or "1": result = true; return true;
            case "no" or "false" or "disabled" or "0": result = false; return true;
            default:
                result = false;
                error = $"'{value}' is not a boolean (yes/no/true/false)";
                return false;
        }
    }

    /// <summary>A duration: seconds, or a number with a unit <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c> (<c>3600</c>, <c>60s</c>, <c>15m</c>, <c>4h</c>, <c>1d</c>).</summary>
    public static bool TryParseDuration(string value, out TimeSpan result, out string? error)
    {
        result = TimeSpan.Zero;
        string text = value.Trim();
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits])) digits++;
        if (digits == 0 || !ulong.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
        {
            error = $"'{value}' is not a duration (e.g. 3600, 60s, 15m, 4h, 1d)";
            return false;
        }
        string unit = text[digits..].TrimStart();
        ulong factor = unit switch
        {
            "" or "s" or "S" => 1,
            "m" or "M" => 60,
            "h" or "H" => 3600,
            "d" or "D" => 86400,
            _ => 0,
        };
        if (factor == 0)
        {
            error = $"'{value}' is not a duration (e.g. 3600, 60s, 15m, 4h, 1d)";
            return false;
        }
        if (number > uint.MaxValue / factor)
        {
            error = $"duration '{value}' is too long";
            return false;
        }
        result = TimeSpan.FromSeconds(number * factor);
        error = null;
        return true;
    }

    /// <summary>
    /// A byte or packet count for lifetimes: a number, optionally with <c>k</c>, <c>m</c> or <c>g</c> (powers of 1024,
    /// as strongSwan reads <c>rekey_bytes = 500m</c>).
    /// </summary>
    public static bool TryParseVolume(string value, out ulong result, out string? error)
    {
        result = 0;
        string text = value.Trim();
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits])) digits++;
        ulong factor = text[digits..].Trim() switch
        {
            "" => 1,
            "k" or "K" => 1UL << 10,
            "m" or "M" => 1UL << 20,
            "g" or "G" => 1UL << 30,
            _ => 0,
        };
        if (digits == 0 || factor == 0 || !ulong.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
        {
            error = $"'{value}' is not a count (e.g. 1000000, 500k, 2m, 1g)";
            return false;
        }
        if (number > ulong.MaxValue / factor)
        {
            error = $"count '{value}' is too large";
            return false;
        }
        result = number * factor;
        error = null;
        return true;
    }

    /// <summary>A UDP port, 1 to 65535.</summary>
    public static bool TryParsePort(string value, out int port, out string? error)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535)
        {
            error = null;
            return true;
        }
        error = $"'{value}' is not a port (1..65535)";
        return false;
    }

    /// <summary>A secret as strongSwan decodes it: <c>0x…</c> hexadecimal (colons allowed), <c>0s…</c> base64, otherwise the UTF-8 bytes.</summary>
    public static bool TryDecodeSecret(string value, out byte[] secret, out string? error)
    {
        secret = [];
        error = null;
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            string hex = value[2..].Replace(":", "", StringComparison.Ordinal);
            if (hex.Length % 2 == 1) hex = "0" + hex;
            try { secret = Convert.FromHexString(hex); }
            catch (FormatException) { error = "the 0x… secret is not hexadecimal"; return false; }
        }
        else if (value.StartsWith("0s", StringComparison.OrdinalIgnoreCase))
        {
            try { secret = Convert.FromBase64String(value[2..]); }
            catch (FormatException) { error = "the 0s… secret is not base64"; return false; }
        }
        else secret = Encoding.UTF8.GetBytes(value);

        if (secret.Length == 0)
        {
            error = "the secret is empty";
            return false;
        }
        return true;
    }
}
