//! How normalized fields map to each platform's own fields. The console uses it to explain a null
//! normalized field by looking at the raw platform record beside it (DOMAIN.md, "Platform data").

use serde::{Deserialize, Serialize};

/// Normalized fields of a data object, in display order.
pub fn normalized_fields(data_object: &str) -> &'static [&'static str] {
    match data_object {
        "invoices" | "bills" => &[
            "id",
            "number",
            "customer_id",
            "currency",
            "total_amount",
            "tax_amount",
            "due_date",
            "status",
            "memo",
        ],
        "orders" => &[
            "id",
            "number",
            "customer_email",
            "currency",
            "total_amount",
            "tax_amount",
            "status",
            "shipping_address",
            "note",
        ],
        "charges" | "refunds" | "payouts" | "disputes" | "balance_transactions" | "transactions" => &[
            "id",
            "amount",
            "currency",
            "status",
            "customer_id",
            "description",
            "receipt_email",
            "failure_code",
        ],
        "customers" | "vendors" => &["id", "name", "email", "phone", "currency", "tax_number", "status"],
        "products" | "inventory" => &["id", "name", "sku", "price", "currency", "quantity", "status"],
        _ => &["id", "name", "currency", "amount", "status", "memo"],
    }
}

#[derive(Clone, Copy)]
enum Style {
    Pascal,
    Snake,
    Camel,
}

fn style(platform_id: &str) -> Style {
    match platform_id {
        "quickbooks_online" | "xero" | "sage_intacct" => Style::Pascal,
        "netsuite" | "amazon_seller" | "square" => Style::Camel,
        _ => Style::Snake,
    }
}

/// Normalized fields a platform has no source for.
fn unsupported(platform_id: &str) -> &'static [&'static str] {
    match platform_id {
        "quickbooks_online" => &["tax_number"],
        "xero" => &["memo", "quantity"],
        "netsuite" => &["receipt_email"],
        "sage_intacct" => &["shipping_address", "phone"],
        "freshbooks" => &["tax_amount", "sku"],
        "shopify" => &["tax_number", "failure_code"],
        "amazon_seller" => &["customer_email", "note"],
        "woocommerce" => &["tax_number"],
        "bigcommerce" => &["failure_code"],
        "etsy" => &["tax_amount", "sku"],
        "stripe" => &["due_date", "tax_number"],
        "square" => &["memo", "receipt_email"],
        "paypal" => &["customer_id", "failure_code"],
        _ => &[],
    }
}

/// The platform's name for a normalized field, or `None` when the platform does not support it.
pub fn source_field(platform_id: &str, field: &str) -> Option<String> {
    if unsupported(platform_id).contains(&field) {
        return None;
    }
    // A few well-known renames; the rest follow the platform's naming convention.
    let base = match (platform_id, field) {
        ("quickbooks_online", "number") => "doc_number",
        ("quickbooks_online", "total_amount") => "total_amt",
        ("quickbooks_online", "memo") => "private_note",
        ("xero", "number") => "invoice_number",
        ("stripe", "receipt_email") => "receipt_email",
        ("shopify", "number") => "order_number",
        ("shopify", "note") => "note",
        ("square", "amount") => "amount_money",
        _ => field,
    };
    Some(match style(platform_id) {
        Style::Snake => base.to_string(),
        Style::Pascal => base.split('_').map(capitalize).collect(),
        Style::Camel => {
            let mut parts = base.split('_');
            let first = parts.next().unwrap_or_default().to_string();
            first + &parts.map(capitalize).collect::<String>()
        }
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Why a normalized field is null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NullReason {
    /// The platform's record has no such field at all.
    NotSent,
    /// The field is there but empty (`null` or `""`).
    SentEmpty,
    /// The platform has no equivalent field.
    Unsupported,
}

impl NullReason {
    pub fn explain(self, platform_name: &str, source: Option<&str>) -> String {
        match (self, source) {
            (NullReason::NotSent, Some(s)) => {
                format!("{platform_name} did not send the source field {s} in this record.")
            }
            (NullReason::SentEmpty, Some(s)) => format!("{platform_name} sent {s}, but empty."),
            (NullReason::Unsupported, _) | (_, None) => {
                format!("{platform_name} does not support this field.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_fields_follow_platform_conventions() {
        assert_eq!(source_field("quickbooks_online", "total_amount").as_deref(), Some("TotalAmt"));
        assert_eq!(source_field("netsuite", "customer_id").as_deref(), Some("customerId"));
        assert_eq!(source_field("shopify", "customer_email").as_deref(), Some("customer_email"));
        assert_eq!(source_field("stripe", "due_date"), None);
    }
}
