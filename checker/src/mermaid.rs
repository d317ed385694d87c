//! Timelines as Mermaid `sequenceDiagram`s: one participant per lane, a note per step on its
//! lane (crashes, lost commits and rejected commits among them), an arrow per message that
//! reaches another lane, a note per other effect.

use crate::timeline::{lanes, StepView};

/// Text that Mermaid shows as is: `#`, `;` and quotes become entity codes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '"' => out.push_str("#quot;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(views: &[StepView]) -> String {
    let lanes = lanes(views);
    let id = |lane: &str| format!("P{}", lanes.iter().position(|l| l == lane).unwrap_or(0));
    let mut out = String::from("sequenceDiagram\n");
    for (i, lane) in lanes.iter().enumerate() {
        out.push_str(&format!("    participant P{i} as {}\n", escape(lane)));
    }
    for (i, v) in views.iter().enumerate() {
        let me = id(&v.lane);
        out.push_str(&format!(
            "    Note over {me}: {}. {}\n",
            i + 1,
            escape(&v.action)
        ));
        for e in &v.effects {
            match &e.to {
                Some(to) if *to != v.lane => {
                    out.push_str(&format!("    {me}->>{}: {}\n", id(to), escape(&e.text)));
                }
                _ => out.push_str(&format!("    Note over {me}: {}\n", escape(&e.text))),
            }
        }
    }
    out
}
