"""The checklist of the accessibility statement (/public/accessibility/).

JIS X 8341-3:2016 (= WCAG 2.0) levels A and AA: 38 success criteria, each
with how it is checked for the public pages and the result. Only what the
tests check is claimed; the others say 未確認, hence 「一部準拠」 (WAIC
「対応度表記ガイドライン」 2021年4月版). tests/browser/test_public.py runs
the checks named 「自動試験」 and 「ブラウザ試験」.
"""

from __future__ import annotations

from dataclasses import dataclass

AXE = "自動試験（axe-core、WCAG 2.1 A/AA の全ルール）で違反なし"
BROWSER = "ブラウザ試験で確認"
NONE = "該当なし"
OPEN = "未確認（今後、目視で確認）"


@dataclass(frozen=True)
class Criterion:
    number: str
    name: str
    level: str
    result: str
    note: str = ""


CHECKLIST = (
    Criterion("1.1.1", "非テキストコンテンツ", "A", BROWSER,
              "グラフは role=\"img\" と名前・説明を持ち、同じ数値の表が続く。axe でも確認"),
    Criterion("1.2.1", "音声のみ及び映像のみ（収録済み）", "A", NONE, "音声・映像なし"),
    Criterion("1.2.2", "キャプション（収録済み）", "A", NONE, "音声・映像なし"),
    Criterion("1.2.3", "音声解説又はメディアに対する代替（収録済み）", "A", NONE,
              "音声・映像なし"),
    Criterion("1.2.4", "キャプション（ライブ）", "AA", NONE, "音声・映像なし"),
    Criterion("1.2.5", "音声解説（収録済み）", "AA", NONE, "音声・映像なし"),
    Criterion("1.3.1", "情報及び関係性", "A", AXE, "表の見出しセル・見出しの構造。目視は未確認"),
    Criterion("1.3.2", "意味のある順序", "A", OPEN, "画面の順序とHTMLの順序は同じ設計"),
    Criterion("1.3.3", "感覚的な特徴", "A", OPEN),
    Criterion("1.4.1", "色の使用", "A", OPEN, "評価は色のほか記号（◎○△）と文字で表示"),
    Criterion("1.4.2", "音声の制御", "A", NONE, "音声なし"),
    Criterion("1.4.3", "コントラスト（最低限）", "AA", AXE),
    Criterion("1.4.4", "テキストのサイズ変更", "AA", BROWSER,
              "200%拡大に相当する幅640pxで、横スクロールなしに表示"),
    Criterion("1.4.5", "文字画像", "AA", NONE, "画像を使用していない（グラフはSVGの文字）"),
    Criterion("2.1.1", "キーボード", "A", BROWSER, "Tabキーだけで全リンク・ダウンロードに到達"),
    Criterion("2.1.2", "キーボードトラップなし", "A", BROWSER),
    Criterion("2.2.1", "タイミング調整可能", "A", NONE, "制限時間なし"),
    Criterion("2.2.2", "一時停止、停止、非表示", "A", NONE, "動くコンテンツなし"),
    Criterion("2.3.1", "3回の閃光、又は閾値以下", "A", NONE, "点滅なし"),
    Criterion("2.4.1", "ブロックスキップ", "A", AXE, "「本文へ移動」リンク"),
    Criterion("2.4.2", "ページタイトル", "A", AXE),
    Criterion("2.4.3", "フォーカス順序", "A", BROWSER),
    Criterion("2.4.4", "リンクの目的（コンテキスト内）", "A", OPEN),
    Criterion("2.4.5", "複数の手段", "AA", OPEN, "一覧・パンくずリスト・各ページのリンク"),
    Criterion("2.4.6", "見出し及びラベル", "AA", OPEN),
    Criterion("2.4.7", "フォーカスの可視化", "AA", BROWSER,
              "フォーカスした要素に枠線が付くことを確認"),
    Criterion("3.1.1", "ページの言語", "A", BROWSER, "lang=\"ja\""),
    Criterion("3.1.2", "一部分の言語", "AA", OPEN),
    Criterion("3.2.1", "フォーカス時", "A", NONE, "スクリプトを使用していない"),
    Criterion("3.2.2", "入力時", "A", NONE, "入力欄なし"),
    Criterion("3.2.3", "一貫したナビゲーション", "AA", OPEN, "全ページ共通のヘッダー・フッター"),
    Criterion("3.2.4", "一貫した識別性", "AA", OPEN),
    Criterion("3.3.1", "エラーの特定", "A", NONE, "入力欄なし"),
    Criterion("3.3.2", "ラベル又は説明", "A", NONE, "入力欄なし"),
    Criterion("3.3.3", "エラー修正の提案", "AA", NONE, "入力欄なし"),
    Criterion("3.3.4", "エラー回避（法的、金融及びデータ）", "AA", NONE, "入力欄なし"),
    Criterion("4.1.1", "構文解析", "A", OPEN, "重複したidは axe で確認"),
    Criterion("4.1.2", "名前（name）・役割（role）及び値（value）", "A", AXE),
)


def counts() -> dict[str, int]:
    """Return how many criteria have each result."""
    tally: dict[str, int] = {}
    for criterion in CHECKLIST:
        tally[criterion.result] = tally.get(criterion.result, 0) + 1
    return tally
